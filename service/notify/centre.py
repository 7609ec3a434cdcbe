"""The notification centre: a person's own notifications (never anyone else's), read marks, and the organisation's
robot settings. Keyword-only, flush-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service.core import audit
from service.core.errors import Problem, forbidden, not_found
from service.core.events import EventKind
from service.core.security import Principal
from service.db.notify import Notification, OrgWebhook, WebhookKind
from service.db.org import Organization, Role
from service.notify import webhooks


def list_own(session: Session, *, principal: Principal, unread_only: bool, limit: int,
             offset: int) -> tuple[list[Notification], int]:
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.created_at.desc(), Notification.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def unread_count(session: Session, *, user_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, *, principal: Principal, notification_id: uuid.UUID) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != principal.user_id:
        raise not_found("notification")  # another person's notification does not exist for this caller
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
    session.flush()
    return row


def mark_all_read(session: Session, *, principal: Principal) -> int:
    result = session.execute(update(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None)).values(read_at=datetime.now(UTC)))
    return int(getattr(result, "rowcount", 0) or 0)


def check_webhook_access(session: Session, principal: Principal, org_id: uuid.UUID) -> Organization:
    """Admins set any organisation's robot; an organisation's own members set theirs (it is their team chat)."""
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organization")
    if principal.role != Role.admin and principal.org_id != org_id:
        raise forbidden()
    return org


def get_webhook(session: Session, *, principal: Principal, org_id: uuid.UUID) -> OrgWebhook | None:
    check_webhook_access(session, principal, org_id)
    return session.scalar(select(OrgWebhook).where(OrgWebhook.org_id == org_id))


def set_webhook(session: Session, *, principal: Principal, org_id: uuid.UUID, kind: WebhookKind, url: str,
                secret: str | None, kinds: list[str], enabled: bool) -> OrgWebhook:
    """Save the robot after the SSRF check; ``secret`` None keeps the stored one, "" removes it."""
    check_webhook_access(session, principal, org_id)
    webhooks.check_url(url)
    known = {k.value for k in EventKind}
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise Problem(422, "unknown_event_kind", "未知的通知类型", "unknown notification kind",
                      extra={"kinds": unknown})
    if kind == WebhookKind.wecom and secret:
        raise Problem(422, "secret_dingtalk_only", "企业微信机器人不使用加签密钥", "only DingTalk robots take a secret")
    row = session.scalar(select(OrgWebhook).where(OrgWebhook.org_id == org_id))
    if row is None:
        row = OrgWebhook(org_id=org_id, kind=kind, url=url.strip(), kinds=[])
        session.add(row)
    row.kind, row.url, row.kinds, row.enabled = kind, url.strip(), list(dict.fromkeys(kinds)), enabled
    row.updated_by = principal.user_id
    if secret is not None:
        row.secret = secret.strip() or None
    if kind == WebhookKind.wecom:
        row.secret = None
    session.flush()
    audit.record(session, actor=principal, action="notify.webhook_set", target_kind="org_webhook", target_id=row.id,
                 org_id=org_id, detail={"kind": kind.value, "host": webhooks.masked(row.url).split("?")[0],
                                        "kinds": row.kinds, "enabled": enabled, "secret_set": bool(row.secret)})
    return row


def delete_webhook(session: Session, *, principal: Principal, org_id: uuid.UUID) -> None:
    row = get_webhook(session, principal=principal, org_id=org_id)
    if row is not None:
        audit.record(session, actor=principal, action="notify.webhook_delete", target_kind="org_webhook",
                     target_id=row.id, org_id=org_id, detail={"kind": row.kind.value})
        session.delete(row)
        session.flush()
