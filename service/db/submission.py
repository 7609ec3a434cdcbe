"""A submission: one organisation's report of one activity, with the metadata its assets inherit."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, Date, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, IdMixin, TimestampMixin
from service.db.campaign import Campaign
from service.db.org import Organization


class Submission(IdMixin, TimestampMixin, Base):
    __tablename__ = "submission"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40), default="photo_video")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    activity: Mapped[str] = mapped_column(String(100), default="")
    activity_date: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str | None] = mapped_column(String(6))
    theme_tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    credits: Mapped[str] = mapped_column(String(300), default="")
    consent: Mapped[bool] = mapped_column(default=False, doc="Portrait consent (incl. guardians of minors) obtained")
    suggested_tags: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default="[]",
        doc="Taxonomy tags matched in the title/description/activity/place (written by the tag step): suggestions for "
            "the submission [{name, facet, score, evidence, source}], never tags of its files")

    campaign: Mapped[Campaign] = relationship(lazy="joined")
    org: Mapped[Organization] = relationship(lazy="joined")
