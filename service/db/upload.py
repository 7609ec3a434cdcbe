"""tus upload state: the S3 multipart upload behind it, committed parts and the unsent tail."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class UploadStatus(enum.StrEnum):
    active = "active"
    completed = "completed"
    aborted = "aborted"  # terminated by the client
    expired = "expired"


class Upload(IdMixin, TimestampMixin, Base):
    __tablename__ = "upload"

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    asset_id: Mapped[uuid.UUID] = mapped_column(unique=True, default=uuid.uuid4, doc="Id the finished asset will get")
    status: Mapped[UploadStatus] = mapped_column(str_enum(UploadStatus, "upload_status"), default=UploadStatus.active)
    filename: Mapped[str] = mapped_column(String(255), doc="Sanitised name used in the storage key")
    original_filename: Mapped[str] = mapped_column(String(1024))
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    declared_sha256: Mapped[str | None] = mapped_column(String(64))
    sniffed_mime: Mapped[str | None] = mapped_column(String(100))
    upload_metadata: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    s3_key: Mapped[str] = mapped_column(String(1024))
    s3_upload_id: Mapped[str] = mapped_column(String(1024))
    # [[part_number, etag, size], ...] in byte order; numbers increase but may skip (abandoned attempts).
    parts: Mapped[list[list[Any]]] = mapped_column(JSONB, default=list)
    next_part_number: Mapped[int] = mapped_column(default=1)
    tail_key: Mapped[str | None] = mapped_column(String(1024), doc="Object holding bytes below the part minimum")
    tail_size: Mapped[int] = mapped_column(BigInteger, default=0)

    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
