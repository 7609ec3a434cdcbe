"""Editorial review: one ``review`` row per asset in the queue, the audit trail, and editors' saved filters.

The ``review`` row is the queue's read model: it copies what the queue filters and sorts on (campaign, region,
organisation, category, kind, status, dates) and the screening summary (risk flags, scores, tags, OCR text, duplicate
cluster) into one indexed table, so the queue at 1,000,000 assets is one index scan instead of a five-table join.
``asset.review_status`` stays the source of truth; the review service writes both in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, utcnow


class Review(Base):
    __tablename__ = "review"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(default=1, doc="Optimistic lock: bumped by every decision and edit")
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason_code: Mapped[str | None] = mapped_column(String(40), doc="Why rejected / returned (list in service.review)")
    reason_text: Mapped[str] = mapped_column(Text, default="", doc="Editor's words to the submitter")
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Copied from asset / submission / organisation (see module docstring).
    campaign_id: Mapped[uuid.UUID] = mapped_column(index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(index=True)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    category: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str | None] = mapped_column(String(16))
    review_status: Mapped[str] = mapped_column(String(32), default="pending")
    title: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capture_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Screening summary, written through ``record_screening`` (the screening steps' interface).
    quality_score: Mapped[float] = mapped_column(Float, default=0.0, doc="0..1; 0 until screened (sorts last)")
    risk_score: Mapped[float] = mapped_column(Float, default=0.0, doc="0..1, findings.risk_score() of its risks")
    risk_flags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list,
                                                  doc="finding codes the queue filters on (findings.queue_flags)")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    tag_names: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    tags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, doc="[{name, source, score}]")
    ocr_text: Mapped[str] = mapped_column(Text, default="")
    cluster_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    cluster_best: Mapped[bool] = mapped_column(default=False)
    search_text: Mapped[str] = mapped_column(Text, default="", doc="lower-cased title, caption, file name, OCR, tags")

    __table_args__ = (
        Index("ix_review_uploaded", "uploaded_at", "asset_id"),
        Index("ix_review_status_uploaded", "review_status", "uploaded_at", "asset_id"),
        Index("ix_review_status_quality", "review_status", "quality_score", "asset_id"),
        Index("ix_review_status_risk", "review_status", "risk_score", "asset_id"),
        Index("ix_review_tag_names", "tag_names", postgresql_using="gin"),
        Index("ix_review_risk_flags", "risk_flags", postgresql_using="gin"),
        Index("ix_review_search_text", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )


class ReviewEvent(IdMixin, Base):
    """One decision or edit: who, when, what, and the fields before and after."""

    __tablename__ = "review_event"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120), doc="Kept when the user is deleted")
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)

    __table_args__ = (Index("ix_review_event_asset_created", "asset_id", "created_at"),)


class SavedFilter(IdMixin, Base):
    """An editor's named queue filter (the query string of the queue page)."""

    __tablename__ = "review_saved_filter"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_review_saved_filter_user_name"),)
