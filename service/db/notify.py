"""Notifications: what each person was told in-app, how they want to be told, their organisation's team-chat robot
and every message sent out (one ``notification_delivery`` row per event, recipient and channel: the idempotency key).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, str_enum, utcnow


class Channel(enum.StrEnum):
    in_app = "in_app"
    email = "email"
    webhook = "webhook"


class Digest(enum.StrEnum):
    immediate = "immediate"
    daily = "daily"


class DeliveryStatus(enum.StrEnum):
    queued = "queued"  # waiting for (or between) send attempts
    held = "held"  # an e-mail waiting for the recipient's daily digest
    digested = "digested"  # went out inside a digest (``digest_id``)
    sent = "sent"
    failed = "failed"  # gave up after the last attempt (last_error says why)


class WebhookKind(enum.StrEnum):
    wecom = "wecom"  # 企业微信群机器人
    dingtalk = "dingtalk"  # 钉钉群机器人


class Notification(IdMixin, Base):
    """One in-app notification of one user (the notification centre lists them)."""

    __tablename__ = "notification"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_event.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(60), doc="A code of service.core.events.EventKind")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="", doc="Path of the page it is about")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("event_id", "user_id", name="uq_notification_event_user"),
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_user_unread", "user_id", postgresql_where="read_at IS NULL"),
    )


class NotificationProfile(IdMixin, TimestampMixin, Base):
    """Where and in which language a user is written to (no row: the user name if it is an address, zh-CN)."""

    __tablename__ = "notification_profile"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="zh", doc="zh or en")


class NotificationPreference(IdMixin, TimestampMixin, Base):
    """A user's choice for one event kind on one channel (no row: the default of service.notify.preferences)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notify_channel"))
    enabled: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[Digest] = mapped_column(str_enum(Digest, "notify_digest"), default=Digest.immediate)

    __table_args__ = (UniqueConstraint("user_id", "kind", "channel", name="uq_notification_preference_choice"),)


class OrgWebhook(IdMixin, TimestampMixin, Base):
    """An organisation's team-chat robot: events addressed to the organisation are posted there too."""

    __tablename__ = "org_webhook"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[WebhookKind] = mapped_column(str_enum(WebhookKind, "webhook_kind"))
    url: Mapped[str] = mapped_column(String(1000), doc="The robot's https URL (its token inside: never shown back)")
    secret: Mapped[str | None] = mapped_column(String(200), doc="DingTalk signing secret (加签), never shown back")
    kinds: Mapped[list[str]] = mapped_column(JSONB, default=list, doc="Event kinds posted; empty: every kind")
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class NotificationDelivery(IdMixin, TimestampMixin, Base):
    """One message out (an e-mail or a robot post). ``key`` is unique: the same event reaches the same recipient on
    the same channel once, however often the dispatcher or the send task runs."""

    __tablename__ = "notification_delivery"

    key: Mapped[str] = mapped_column(String(200), unique=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbox_event.id", ondelete="SET NULL"),
                                                       index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "notify_channel"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60), doc="Event kind, or 'digest'")
    address: Mapped[str] = mapped_column(String(1000), default="", doc="E-mail address, or the robot URL's host")
    message: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, doc="subject/text/html or robot payload")
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"),
                                                   default=DeliveryStatus.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), doc="When the queued send is due; the dispatcher re-sends one long overdue (lost)")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="SET NULL"), doc="The digest e-mail that carried a held one")

    __table_args__ = (Index("ix_notification_delivery_open", "status", "next_attempt_at",
                            postgresql_where="status IN ('queued', 'held')"),)
