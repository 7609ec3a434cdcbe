"""/api/v1/notifications (one's own only), /api/v1/notification-preferences, /api/v1/orgs/{org_id}/webhook."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.core.deps import PrincipalDep, SessionDep
from service.db.notify import OrgWebhook
from service.notify import centre, preferences, webhooks
from service.notify.schemas import (
    ChoiceOut,
    Marked,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    UnreadCount,
    WebhookIn,
    WebhookOut,
)

router = APIRouter(prefix="/api/v1", tags=["notifications"])


@router.get("/notifications", response_model=NotificationPage)
def list_notifications(principal: PrincipalDep, session: SessionDep, unread: bool = False,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> NotificationPage:
    """The caller's own notifications, newest first."""
    rows, total = centre.list_own(session, principal=principal, unread_only=unread, limit=limit, offset=offset)
    return NotificationPage(items=[NotificationOut.model_validate(r) for r in rows], total=total,
                            unread=centre.unread_count(session, user_id=principal.user_id))


@router.get("/notifications/unread-count", response_model=UnreadCount)
def unread_count(principal: PrincipalDep, session: SessionDep) -> UnreadCount:
    return UnreadCount(unread=centre.unread_count(session, user_id=principal.user_id))


@router.post("/notifications/read-all", response_model=Marked)
def mark_all_read(principal: PrincipalDep, session: SessionDep) -> Marked:
    return Marked(marked=centre.mark_all_read(session, principal=principal))


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut)
def mark_read(notification_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> NotificationOut:
    return NotificationOut.model_validate(centre.mark_read(session, principal=principal,
                                                           notification_id=notification_id))


def _preferences(principal: PrincipalDep, session: SessionDep) -> PreferencesOut:
    profile = preferences.profile(session, principal.user_id)
    return PreferencesOut(email=profile.email if profile else None, language=preferences.language_of(profile),
                          choices=[ChoiceOut.model_validate(c) for c in preferences.table(session, principal.user_id)])


@router.get("/notification-preferences", response_model=PreferencesOut)
def get_preferences(principal: PrincipalDep, session: SessionDep) -> PreferencesOut:
    """Every event kind × channel (in-app, e-mail) with the caller's choice or the default, address and language."""
    return _preferences(principal, session)


@router.put("/notification-preferences", response_model=PreferencesOut)
def put_preferences(body: PreferencesIn, principal: PrincipalDep, session: SessionDep) -> PreferencesOut:
    preferences.save_profile(session, user_id=principal.user_id, email=body.email, language=body.language)
    for choice in body.choices:
        preferences.save(session, user_id=principal.user_id, kind=choice.kind, channel=choice.channel,
                         enabled=choice.enabled, digest=choice.digest)
    session.flush()
    return _preferences(principal, session)


def _webhook_out(row: OrgWebhook | None) -> WebhookOut:
    if row is None:
        return WebhookOut(configured=False)
    return WebhookOut(configured=True, kind=row.kind, url=webhooks.masked(row.url), secret_set=bool(row.secret),
                      kinds=list(row.kinds or []), enabled=row.enabled, updated_at=row.updated_at)


@router.get("/orgs/{org_id}/webhook", response_model=WebhookOut)
def get_webhook(org_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> WebhookOut:
    """The organisation's team-chat robot (its URL token and secret never shown in full). Admins, or the
    organisation's own members."""
    return _webhook_out(centre.get_webhook(session, principal=principal, org_id=org_id))


@router.put("/orgs/{org_id}/webhook", response_model=WebhookOut)
def put_webhook(org_id: uuid.UUID, body: WebhookIn, principal: PrincipalDep, session: SessionDep) -> WebhookOut:
    row = centre.set_webhook(session, principal=principal, org_id=org_id, kind=body.kind, url=body.url,
                             secret=body.secret, kinds=body.kinds, enabled=body.enabled)
    return _webhook_out(row)


@router.delete("/orgs/{org_id}/webhook", status_code=204)
def delete_webhook(org_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Response:
    centre.delete_webhook(session, principal=principal, org_id=org_id)
    return Response(status_code=204)
