"""Assets (one uploaded photo or video), their renditions and the pipeline's job rows."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, IdMixin, TimestampMixin, str_enum
from service.db.consent import ConsentState


class AssetStatus(enum.StrEnum):
    """Pipeline state machine; see ARCHITECTURE.md "The asset pipeline"."""

    uploading = "uploading"  # bytes received, whole-file checks not done yet
    stored = "stored"  # sha256 and content type verified; original under its permanent key
    processing = "processing"
    ready = "ready"
    rejected_invalid = "rejected_invalid"
    failed = "failed"


TERMINAL_STATUSES = frozenset({AssetStatus.ready, AssetStatus.rejected_invalid, AssetStatus.failed})


class AssetKind(enum.StrEnum):
    image = "image"
    video = "video"


class ReviewStatus(enum.StrEnum):
    """The editors' decision, independent of the pipeline status (review happens once an asset is ``ready``)."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    featured = "featured"  # 精选: picked for central media
    returned = "returned"  # sent back to the submitter for better material


class Asset(IdMixin, TimestampMixin, Base):
    __tablename__ = "asset"

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submission.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"), index=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[AssetKind | None] = mapped_column(str_enum(AssetKind, "asset_kind"))
    status: Mapped[AssetStatus] = mapped_column(str_enum(AssetStatus, "asset_status"), index=True)
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason_detail: Mapped[str | None] = mapped_column(Text, doc="zh-CN, then English after ' / '")

    original_key: Mapped[str] = mapped_column(String(1024))
    original_filename: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    declared_sha256: Mapped[str | None] = mapped_column(String(64))
    exact_of: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("asset.id", ondelete="SET NULL"), doc="Earlier asset with the same sha256 in the campaign"
    )

    probe: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration: Mapped[float | None] = mapped_column(Float)
    capture_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    review_status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, "review_status"), default=ReviewStatus.pending, server_default="pending", index=True
    )
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("asset.id", ondelete="SET NULL"), doc="The returned file this upload replaces (its history stays)"
    )
    headline: Mapped[str] = mapped_column(String(200), default="", server_default="",
                                          doc="This file's own headline (empty: the submission's title)")
    caption: Mapped[str] = mapped_column(Text, default="", server_default="",
                                         doc="This file's caption: the submitter's, approved or fixed by editors")
    credit: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Consent (docs/PRIVACY.md "Consent"): declared by the submitter, editable by editors. A NULL state follows the
    # submission's checkbox (service/consent/service.py:effective_state).
    shows_minors: Mapped[bool] = mapped_column(default=False, server_default="false")
    consent_state: Mapped[ConsentState | None] = mapped_column(str_enum(ConsentState, "consent_state"))

    renditions: Mapped[list[Rendition]] = relationship(
        back_populates="asset", cascade="all, delete-orphan", order_by="Rendition.name"
    )

    __table_args__ = (
        Index("ix_asset_campaign_sha256", "campaign_id", "sha256"),
        # Visual similar-shot candidates: photos of the campaign taken within minutes (workers.duplicates).
        Index("ix_asset_campaign_capture_time", "campaign_id", "capture_time"),
    )


class Rendition(IdMixin, TimestampMixin, Base):
    __tablename__ = "rendition"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40), doc="thumb, preview, web, proxy_720p, … plus format variants")
    key: Mapped[str] = mapped_column(String(1024))
    mime: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None]
    height: Mapped[int | None]
    size: Mapped[int] = mapped_column(BigInteger)

    asset: Mapped[Asset] = relationship(back_populates="renditions")

    __table_args__ = (UniqueConstraint("asset_id", "name", name="uq_rendition_asset_name"),)


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(IdMixin, TimestampMixin, Base):
    """One pipeline step of one asset: the sweeper re-enqueues rows whose heartbeat went stale."""

    __tablename__ = "job"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    #: CPU seconds of the last successful run: the worker process's (all its threads) plus its finished children's
    #: (ffmpeg). What sizing and the end-to-end benchmark read (docs/OPERATIONS.md).
    cpu_seconds: Mapped[float | None] = mapped_column()

    __table_args__ = (UniqueConstraint("asset_id", "step", name="uq_job_asset_step"),)
