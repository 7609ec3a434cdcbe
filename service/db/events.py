"""The outbox: domain events written in the same transaction as the change that caused them.

Whatever must reach people later (a returned report, a lifted embargo, a deadline coming) is published here by the
code that made the change; the notification worker reads undispatched rows, turns them into notifications for the
recipients' channels and marks them dispatched. The event id is the idempotency key: a row is delivered once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, utcnow


class OutboxEvent(IdMixin, Base):
    __tablename__ = "outbox_event"

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(60), doc="A code of service.core.events.EventKind")
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), doc="Recipient organisation (all its users), if any"
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), doc="Recipient user, if one person is meant"
    )
    subject_kind: Mapped[str] = mapped_column(String(40), doc="asset, submission, report, collection, campaign")
    subject_id: Mapped[uuid.UUID | None]
    dedupe_key: Mapped[str | None] = mapped_column(
        String(200), unique=True, doc="Set for events that must exist once (e.g. 'reminder:plan:3d:<org>:<campaign>')"
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_outbox_event_pending", "created_at", postgresql_where="dispatched_at IS NULL"),)
