"""The notification centre page (zh-CN first, Beijing time) and the bell with the unread count in every page header.
Pages call the same services as /api/v1/notifications."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from service.core.config import get_settings
from service.core.db import new_session
from service.core.deps import SessionDep
from service.core.events import EVENT_NAMES, EventKind
from service.core.security import Principal
from service.db.notify import Channel, Digest
from service.notify import centre, preferences
from service.web import i18n, templating
from service.web.deps import WebPrincipalDep, safe_next
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({
    "notify.centre": ("通知中心", "Notifications"),
    "notify.unread": ("未读", "Unread"),
    "notify.read_all": ("全部标为已读", "Mark all as read"),
    "notify.none": ("暂无通知", "No notifications yet"),
    "notify.preferences": ("通知设置", "Notification settings"),
    "notify.email": ("接收邮箱", "E-mail address"),
    "notify.language": ("通知语言", "Language of messages"),
    "notify.kind": ("通知类型", "Kind"),
    "notify.in_app": ("站内通知", "In-app"),
    "notify.by_email": ("电子邮件", "E-mail"),
    "notify.digest": ("每日汇总", "Daily digest"),
    "notify.digest_note": ("勾选“每日汇总”的邮件每天合并为一封发送，北京时间 ",
                           "E-mails marked for the daily digest go out together once a day, Beijing time "),
    **{f"notify_kind.{kind.value}": names for kind, names in EVENT_NAMES.items()},
})


def _bell(request: Request, principal: Principal) -> dict[str, Any]:
    session = new_session()
    try:
        return {"unread_notifications": centre.unread_count(session, user_id=principal.user_id)}
    except Exception:  # the header must render even if the count cannot be read
        return {}
    finally:
        session.close()


templating.CONTEXT_HOOKS.append(_bell)


@router.get("/notifications")
def centre_page(request: Request, principal: WebPrincipalDep, session: SessionDep) -> Response:
    rows, _ = centre.list_own(session, principal=principal, unread_only=False, limit=100, offset=0)
    profile = preferences.profile(session, principal.user_id)
    table: dict[str, dict[str, dict[str, object]]] = {}
    for entry in preferences.table(session, principal.user_id):
        table.setdefault(str(entry["kind"]), {})[str(entry["channel"])] = entry
    return render(request, "notify/centre.html", items=rows, unread=sum(1 for r in rows if r.read_at is None),
                  email=profile.email if profile else "", language=preferences.language_of(profile),
                  table=list(table.items()), digest_hour=get_settings().notify_digest_hour)


@router.post("/notifications/read-all")
def read_all(principal: WebPrincipalDep, session: SessionDep) -> Response:
    centre.mark_all_read(session, principal=principal)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
def open_notification(notification_id: uuid.UUID, principal: WebPrincipalDep, session: SessionDep) -> Response:
    row = centre.mark_read(session, principal=principal, notification_id=notification_id)
    return RedirectResponse(safe_next(row.link, "/notifications"), status_code=303)


@router.post("/notifications/preferences")
def save_preferences(
    principal: WebPrincipalDep,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    language: Annotated[str, Form(pattern=r"^(zh|en)$")] = "zh",
    in_app: Annotated[list[str] | None, Form()] = None,
    email_on: Annotated[list[str] | None, Form()] = None,
    daily: Annotated[list[str] | None, Form()] = None,
) -> Response:
    preferences.save_profile(session, user_id=principal.user_id, email=email, language=language)
    for kind in EventKind:
        preferences.save(session, user_id=principal.user_id, kind=kind.value, channel=Channel.in_app,
                         enabled=kind.value in (in_app or []), digest=Digest.immediate)
        preferences.save(session, user_id=principal.user_id, kind=kind.value, channel=Channel.email,
                         enabled=kind.value in (email_on or []),
                         digest=Digest.daily if kind.value in (daily or []) else Digest.immediate)
    return RedirectResponse("/notifications", status_code=303)
