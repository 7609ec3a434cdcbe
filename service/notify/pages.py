"""The notification centre page (zh-CN first, Beijing time) and the bell with the unread count in every page header.
Pages call the same services as /api/v1/notifications."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.db import new_session
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.events import EVENT_NAMES, EventKind
from service.core.security import Principal
from service.db.notify import Channel, Digest, WebhookKind
from service.notify import centre, preferences, webhooks
from service.web import i18n, templating
from service.web.deps import WebPrincipalDep, safe_next
from service.web.templating import render

log = logging.getLogger(__name__)

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
    "notify.robot": ("本单位群机器人", "Your organisation's team-chat robot"),
    "notify.robot_note": ("发给本单位的通知同时推送到企业微信或钉钉群。地址须为 https；"
                          "密钥仅钉钉“加签”使用，保存后不再显示。",
                          "Notifications to your organisation are also posted to a WeCom or DingTalk group. The URL "
                          "must be https; the secret (DingTalk signing only) is never shown again once saved."),
    "notify.robot_kind": ("机器人类型", "Robot"),
    "notify.robot_kind.wecom": ("企业微信", "WeCom"),
    "notify.robot_kind.dingtalk": ("钉钉", "DingTalk"),
    "notify.robot_url": ("机器人地址（Webhook）", "Robot URL (webhook)"),
    "notify.robot_secret": ("加签密钥（留空则不变）", "Signing secret (blank: unchanged)"),
    "notify.robot_current": ("当前设置", "Current setting"),
    "notify.robot_secret_set": ("已设置加签密钥", "signing secret set"),
    "notify.robot_enabled": ("启用", "Enabled"),
    "notify.robot_kinds": ("推送的通知类型（不选则全部）", "Kinds posted (none ticked: all)"),
    "notify.robot_remove": ("删除机器人", "Remove the robot"),
    "notify.digest_note": ("勾选“每日汇总”的邮件每天合并为一封发送，北京时间 ",
                           "E-mails marked for the daily digest go out together once a day, Beijing time "),
    **{f"notify_kind.{kind.value}": names for kind, names in EVENT_NAMES.items()},
})


def _bell(request: Request, principal: Principal) -> dict[str, Any]:
    session = new_session()
    try:
        return {"unread_notifications": centre.unread_count(session, user_id=principal.user_id)}
    except SQLAlchemyError:  # the header must render even if the count cannot be read (an error page's header)
        log.warning("unread notification count unavailable", exc_info=True)
        return {}
    finally:
        session.close()


templating.CONTEXT_HOOKS.append(_bell)


@router.get("/notifications")
def centre_page(request: Request, principal: WebPrincipalDep, session: SessionDep) -> Response:
    return _centre(request, principal, session)


def _centre(request: Request, principal: Principal, session: Session, error: str = "",
            status_code: int = 200) -> Response:
    rows, _ = centre.list_own(session, principal=principal, unread_only=False, limit=100, offset=0)
    profile = preferences.profile(session, principal.user_id)
    table: dict[str, dict[str, dict[str, object]]] = {}
    for entry in preferences.table(session, principal.user_id):
        table.setdefault(str(entry["kind"]), {})[str(entry["channel"])] = entry
    return render(request, "notify/centre.html", status_code=status_code, items=rows,
                  unread=sum(1 for r in rows if r.read_at is None),
                  email=profile.email if profile else "", language=preferences.language_of(profile),
                  table=list(table.items()), digest_hour=get_settings().notify_digest_hour,
                  robot=centre.get_webhook(session, principal=principal, org_id=principal.org_id),
                  masked=webhooks.masked, kinds=[k.value for k in EventKind], error=error)


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


@router.post("/notifications/webhook")
def save_robot(
    request: Request,
    principal: WebPrincipalDep,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=20)] = "",
    url: Annotated[str, Form(max_length=1000)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    enabled: Annotated[str, Form(max_length=10)] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The caller's own organisation's robot (admins set others' through the API)."""
    try:
        robot_kind = WebhookKind(kind) if kind in {k.value for k in WebhookKind} else None
        if robot_kind is None:
            raise Problem(422, "invalid_robot_kind", "请选择机器人类型", "choose the kind of robot")
        centre.set_webhook(session, principal=principal, org_id=principal.org_id, kind=robot_kind, url=url,
                           secret=secret or None, kinds=kinds or [], enabled=bool(enabled))
    except Problem as problem:
        session.rollback()
        return _centre(request, principal, session, error=i18n.detail_text(problem.detail, i18n.lang_of(request)),
                       status_code=problem.status)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/webhook/delete")
def remove_robot(principal: WebPrincipalDep, session: SessionDep) -> Response:
    centre.delete_webhook(session, principal=principal, org_id=principal.org_id)
    return RedirectResponse("/notifications", status_code=303)
