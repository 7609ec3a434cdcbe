"""Who wants what: per user, event kind and channel, with defaults for choices never made; a user's address/language.

Defaults (no row): in-app on, e-mail on and immediate, for every kind. The team-chat channel is the organisation's
(``org_webhook``: its ``kinds`` choose the events), not a person's: a user's ``webhook`` choice is not offered.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.core.errors import Problem
from service.core.events import EVENT_NAMES, EventKind
from service.db.notify import Channel, Digest, NotificationPreference, NotificationProfile
from service.db.org import User

#: The channels a person chooses for themselves (the robot belongs to the organisation).
PERSONAL_CHANNELS: tuple[Channel, ...] = (Channel.in_app, Channel.email)
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


@dataclass(frozen=True)
class Choice:
    enabled: bool = True
    digest: Digest = Digest.immediate


DEFAULT = Choice()


def choices(session: Session, user_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, str, Channel], Choice]:
    """Every stored choice of these users (absent: ``DEFAULT``)."""
    if not user_ids:
        return {}
    rows = session.scalars(select(NotificationPreference).where(NotificationPreference.user_id.in_(user_ids)))
    return {(row.user_id, row.kind, row.channel): Choice(row.enabled, row.digest) for row in rows}


def table(session: Session, user_id: uuid.UUID) -> list[dict[str, object]]:
    """The user's full preference table: one entry per event kind and personal channel, defaults filled in."""
    stored = choices(session, [user_id])
    return [{"kind": kind.value, "name_zh": EVENT_NAMES[kind][0], "name_en": EVENT_NAMES[kind][1],
             "channel": channel.value, "enabled": stored.get((user_id, kind.value, channel), DEFAULT).enabled,
             "digest": stored.get((user_id, kind.value, channel), DEFAULT).digest.value}
            for kind in EventKind for channel in PERSONAL_CHANNELS]


def save(session: Session, *, user_id: uuid.UUID, kind: str, channel: Channel, enabled: bool,
         digest: Digest) -> None:
    if kind not in {k.value for k in EventKind}:
        raise Problem(422, "unknown_event_kind", "未知的通知类型", "unknown notification kind", extra={"kind": kind})
    if channel not in PERSONAL_CHANNELS:
        raise Problem(422, "channel_not_personal", "群机器人由本单位统一设置，个人无需选择",
                      "the team-chat robot is set per organisation, not per person")
    if digest == Digest.daily and channel != Channel.email:
        raise Problem(422, "digest_email_only", "每日汇总仅适用于电子邮件", "the daily digest applies to e-mail only")
    session.execute(insert(NotificationPreference).values(
        id=uuid.uuid4(), user_id=user_id, kind=kind, channel=channel, enabled=enabled, digest=digest,
    ).on_conflict_do_update(constraint="uq_notification_preference_choice",
                            set_={"enabled": enabled, "digest": digest}))


def profile(session: Session, user_id: uuid.UUID) -> NotificationProfile | None:
    return session.scalar(select(NotificationProfile).where(NotificationProfile.user_id == user_id))


def save_profile(session: Session, *, user_id: uuid.UUID, email: str | None, language: str | None) -> None:
    row = profile(session, user_id)
    if row is None:
        row = NotificationProfile(user_id=user_id, language="zh")
        session.add(row)
    if email is not None:
        email = email.strip()
        if email and not EMAIL_PATTERN.match(email):
            raise Problem(422, "invalid_email", "电子邮件地址格式不正确", "not a valid e-mail address")
        row.email = email or None
    if language is not None:
        if language not in ("zh", "en"):
            raise Problem(422, "invalid_language", "语言只能是 zh 或 en", "language must be zh or en")
        row.language = language
    session.flush()


def address_of(user: User, row: NotificationProfile | None) -> str | None:
    """The user's e-mail address: the one they gave, else their user name when it is an address."""
    if row is not None and row.email:
        return row.email
    return user.username if EMAIL_PATTERN.match(user.username) else None


def language_of(row: NotificationProfile | None) -> str:
    return row.language if row is not None and row.language in ("zh", "en") else "zh"
