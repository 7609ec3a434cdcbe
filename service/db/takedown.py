"""Takedowns: the record that an asset was withdrawn, why, by whom, and when its bytes and text were purged.

The row outlives the asset (``asset_id`` has no foreign key on purpose) and holds no content: no caption, no file
name, no object key — only ids, the reason given, the people and the times.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class TakedownStatus(enum.StrEnum):
    requested = "requested"  # a submitter asked; an editor has not acted yet
    taken_down = "taken_down"  # withdrawn everywhere; bytes and text wait for the grace period
    purged = "purged"  # original, renditions, delivered copies and text deleted
    declined = "declined"  # an editor declined a submitter's request


class Takedown(IdMixin, TimestampMixin, Base):
    __tablename__ = "takedown"

    asset_id: Mapped[uuid.UUID] = mapped_column(index=True, doc="No foreign key: the record outlives the asset")
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    status: Mapped[TakedownStatus] = mapped_column(str_enum(TakedownStatus, "takedown_status"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    taken_down_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purge_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purge_kind: Mapped[str | None] = mapped_column(String(20), doc="takedown | retention")
    # counts only (objects, rows, packages rebuilt): what was removed, never what it contained
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
