"""The download portal: collections released to outlets, revocations, delivered copies, packages and downloads."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class Audience(enum.StrEnum):
    all_outlets = "all"  # every outlet organisation
    named = "named"  # only the outlets listed in collection_outlet


class Collection(IdMixin, TimestampMixin, Base):
    """Featured assets an editor releases to outlets, visible from ``release_at`` and after ``embargo_until``."""

    __tablename__ = "collection"

    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    cover_asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "collection_audience"), default=Audience.all_outlets)
    release_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), doc="null = draft, never shown")
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), doc="hidden before this moment")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), doc="set = taken off the portal")
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # An editor's decision that this release may show where the photos were taken (GPS kept in delivered JPEGs);
    # who set it and when is recorded beside it (docs/PRIVACY.md).
    keep_location: Mapped[bool] = mapped_column(default=False, server_default="false")
    keep_location_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    keep_location_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An editor's decision that outlets may download the untouched original of a PNG/HEIC/TIFF/… (EXIF and all)
    # instead of only the tagged JPEG; recorded beside it and in the audit log.
    deliver_untouched: Mapped[bool] = mapped_column(default=False, server_default="false")
    deliver_untouched_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    deliver_untouched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionItem.position"
    )
    outlets: Mapped[list[CollectionOutlet]] = relationship(cascade="all, delete-orphan")


class CollectionItem(IdMixin, TimestampMixin, Base):
    __tablename__ = "collection_item"

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("collection_id", "asset_id", name="uq_collection_item_collection_asset"),)


class CollectionOutlet(IdMixin, TimestampMixin, Base):
    """An outlet organisation a ``named`` collection is released to."""

    __tablename__ = "collection_outlet"

    collection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("collection_id", "org_id", name="uq_collection_outlet_collection_org"),)


class Revocation(IdMixin, TimestampMixin, Base):
    """An outlet's access withdrawn: to one collection, or to the whole portal when ``collection_id`` is null."""

    __tablename__ = "portal_revocation"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collection.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Restoring access ends the revocation but keeps the row: who revoked, who restored and when stay on record.
    restored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    restored_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class DeliveryFile(IdMixin, TimestampMixin, Base):
    """A rendition with caption/credit written into it, cached at ``delivery/{asset_id}/{rendition}.{ext}``.

    ``meta_digest`` fingerprints the metadata written: when an editor changes the caption the copy is rebuilt.
    """

    __tablename__ = "delivery_file"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    rendition: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(1024))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    meta_digest: Mapped[str] = mapped_column(String(64))
    embedded: Mapped[bool] = mapped_column(default=True, doc="false: format without a metadata block; source as is")
    crc32: Mapped[int | None] = mapped_column(BigInteger, doc="CRC-32 of the bytes at ``key`` (ZIP members copied "
                                                               "server-side need it up front); NULL: not known yet")

    __table_args__ = (UniqueConstraint("asset_id", "rendition", name="uq_delivery_file_asset_rendition"),)


class PackageStatus(enum.StrEnum):
    queued = "queued"
    building = "building"
    ready = "ready"
    failed = "failed"
    expired = "expired"


class Package(IdMixin, TimestampMixin, Base):
    """A ZIP of several renditions (a selection or a whole collection) built by a worker."""

    __tablename__ = "package"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    collection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collection.id", ondelete="SET NULL"))
    rendition: Mapped[str] = mapped_column(String(40))
    # [{"asset_id": …, "rendition": …}, …] in the order asked for
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    status: Mapped[PackageStatus] = mapped_column(str_enum(PackageStatus, "package_status"), index=True)
    total_items: Mapped[int] = mapped_column(default=0)
    done_items: Mapped[int] = mapped_column(default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0, doc="Estimate used for the size limit")
    done_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    key: Mapped[str | None] = mapped_column(String(1024))
    size: Mapped[int | None] = mapped_column(BigInteger)
    upload_id: Mapped[str | None] = mapped_column(String(1024), doc="S3 multipart upload in progress")
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Download(IdMixin, Base):
    """Audit: one delivered file or package, to whom, when, from where."""

    __tablename__ = "download"

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"), index=True)
    rendition: Mapped[str] = mapped_column(String(40))
    package_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("package.id", ondelete="SET NULL"))
    ip: Mapped[str] = mapped_column(String(64), default="")
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_download_org_at", "org_id", "at"),)
