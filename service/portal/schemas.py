"""Request and response bodies of the collections (editor) and portal (outlet) APIs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from service.core.bounds import BoundedDateTime
from service.core.text import CleanText
from service.db.portal import Audience


class CollectionIn(BaseModel):
    title: Annotated[CleanText, Field(min_length=1, max_length=200)]
    description: Annotated[CleanText, Field(max_length=5000)] = ""
    campaign_id: uuid.UUID | None = None
    cover_asset_id: uuid.UUID | None = None
    audience: Audience = Audience.all_outlets
    outlet_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    asset_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5000)
    release_at: BoundedDateTime | None = None
    embargo_until: BoundedDateTime | None = None
    keep_location: bool = Field(default=False, description="Delivered JPEGs keep their GPS position (recorded)")
    deliver_untouched: bool = Field(
        default=False, description="Outlets may also download untouched PNG/HEIC/TIFF originals (recorded)")
    confirm_without_consent: bool = Field(
        default=False, description="Release files with faces and missing consent anyway (audited); else 409")

    @model_validator(mode="after")
    def _named_needs_outlets(self) -> CollectionIn:
        if self.audience == Audience.named and not self.outlet_ids:
            raise ValueError("指定媒体发布须至少列出一家媒体 / a 'named' release needs at least one outlet")
        for moment in (self.release_at, self.embargo_until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("时间须带时区 / times need a timezone (e.g. 2023-05-14T09:00:00+08:00)")
        return self


class CollectionPatch(BaseModel):
    title: Annotated[CleanText, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[CleanText, Field(max_length=5000)] | None = None
    cover_asset_id: uuid.UUID | None = None
    audience: Audience | None = None
    outlet_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    release_at: BoundedDateTime | None = None
    embargo_until: BoundedDateTime | None = None
    withdrawn: bool | None = None
    keep_location: bool | None = None
    deliver_untouched: bool | None = None
    confirm_without_consent: bool = Field(
        default=False, description="Release files with faces and missing consent anyway (audited); else 409")


class ItemsIn(BaseModel):
    asset_ids: list[uuid.UUID] = Field(min_length=1, max_length=5000)
    confirm_without_consent: bool = Field(
        default=False, description="Release files with faces and missing consent anyway (audited); else 409")


class CollectionOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    campaign_id: uuid.UUID | None
    cover_asset_id: uuid.UUID | None
    audience: str
    outlet_ids: list[uuid.UUID]
    asset_ids: list[uuid.UUID]
    release_at: datetime | None
    embargo_until: datetime | None
    withdrawn_at: datetime | None
    created_at: datetime
    keep_location: bool = False
    keep_location_by: uuid.UUID | None = None
    keep_location_at: datetime | None = None
    deliver_untouched: bool = False
    deliver_untouched_by: uuid.UUID | None = None
    deliver_untouched_at: datetime | None = None


class RevocationIn(BaseModel):
    org_id: uuid.UUID
    collection_id: uuid.UUID | None = None
    reason: Annotated[CleanText, Field(max_length=500)] = ""


class RevocationOut(BaseModel):
    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    collection_id: uuid.UUID | None
    reason: str
    created_at: datetime
    revoked_by: uuid.UUID | None = None
    restored_at: datetime | None = None
    restored_by: uuid.UUID | None = None


# portal (outlets) -----------------------------------------------------------------------------------------------
class PortalRendition(BaseModel):
    name: str
    mime: str
    width: int | None
    height: int | None
    size: int
    download_url: str


class PortalAsset(BaseModel):
    id: uuid.UUID
    kind: str | None
    headline: str
    caption: str
    credit: str
    date: date | None
    place: str
    region_code: str | None
    organization: str
    keywords: list[str]
    width: int | None
    height: int | None
    duration: float | None
    preview_url: str
    play_url: str | None = None  # videos: the 720p preview for an in-page player (not a download)
    renditions: list[PortalRendition]


class PortalAssetPage(BaseModel):
    items: list[PortalAsset]
    total: int


class PortalCollection(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    cover_url: str | None
    released_at: datetime
    asset_count: int


class PortalCollectionDetail(PortalCollection):
    assets: list[PortalAsset]


class PackageIn(BaseModel):
    asset_ids: list[uuid.UUID] = Field(default_factory=list, max_length=5000)
    collection_id: uuid.UUID | None = None
    rendition: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")] = "original"

    @model_validator(mode="after")
    def _something(self) -> PackageIn:
        if not self.asset_ids and self.collection_id is None:
            raise ValueError("请选择素材或整个专题 / choose assets or a whole collection")
        return self


class PackageOut(BaseModel):
    id: uuid.UUID
    status: str
    rendition: str
    total_items: int
    done_items: int
    total_bytes: int
    done_bytes: int
    progress: float
    size: int | None
    error: str | None
    expires_at: datetime
    download_url: str | None
    link_expires_at: datetime | None
