"""A campaign's retention policy: what is deleted after the week, and when (docs/PRIVACY.md "Retention")."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import Boolean, ForeignKey, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class RetentionAnchor(enum.StrEnum):
    summary_deadline = "summary_deadline"  # the campaign's summary deadline (falls back to the week's end)
    week_end = "week_end"


class RetentionPolicy(IdMixin, TimestampMixin, Base):
    """One per campaign. Files not kept are purged ``months`` after the anchor date, through the takedown purge path."""

    __tablename__ = "retention_policy"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), unique=True)
    months: Mapped[int] = mapped_column(SmallInteger)
    anchor: Mapped[RetentionAnchor] = mapped_column(str_enum(RetentionAnchor, "retention_anchor"),
                                                    default=RetentionAnchor.summary_deadline)
    keep_featured: Mapped[bool] = mapped_column(Boolean, default=True)
    keep_released: Mapped[bool] = mapped_column(Boolean, default=True, doc="kept while in any released collection")
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, doc="nothing of the campaign is deleted")
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
