"""Request and response bodies of the campaigns API. Dates are Beijing dates; a datetime without a zone is Beijing
time; responses carry ISO 8601 with the UTC offset."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.core.bounds import BoundedDate, BoundedDateTime

#: Larger than any real limit, small enough for a BIGINT and a float's exact integers.
MAX_LIMIT = 10**15


class CampaignLimits(BaseModel):
    max_image_bytes: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    max_video_bytes: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    org_quota_bytes: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    min_image_pixels: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    min_video_height: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    min_video_seconds: float | None = Field(default=None, ge=0, le=MAX_LIMIT)
    max_video_seconds: float | None = Field(default=None, ge=1, le=MAX_LIMIT)


class CampaignCreate(CampaignLimits):
    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    theme: str = Field(default="", max_length=200)
    week_start: BoundedDate
    week_end: BoundedDate
    plan_deadline: BoundedDate | None = None
    summary_deadline: BoundedDate | None = None
    upload_opens_at: BoundedDateTime | None = Field(default=None, description="without a zone: Beijing time")
    upload_closes_at: BoundedDateTime | None = Field(default=None, description="without a zone: Beijing time")
    copy_taxonomy_from: uuid.UUID | None = Field(default=None, description="another campaign; default: the seed")


class CampaignUpdate(CampaignLimits):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    year: int | None = Field(default=None, ge=2000, le=2100)
    theme: str | None = Field(default=None, max_length=200)
    week_start: BoundedDate | None = None
    week_end: BoundedDate | None = None
    plan_deadline: BoundedDate | None = None
    summary_deadline: BoundedDate | None = None
    upload_opens_at: BoundedDateTime | None = None
    upload_closes_at: BoundedDateTime | None = None


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    year: int
    theme: str
    week_start: date
    week_end: date
    plan_deadline: date | None
    summary_deadline: date | None
    upload_opens_at: datetime
    upload_closes_at: datetime
    max_image_bytes: int
    max_video_bytes: int
    org_quota_bytes: int
    min_image_pixels: int
    min_video_height: int
    min_video_seconds: float
    max_video_seconds: float


class TaxonomyTagIn(BaseModel):
    name: str = Field(max_length=40)
    en: str = Field(default="", max_length=120)
    keywords: list[str] = Field(default_factory=list, max_length=50, description="synonyms matched in text")
    visual_prompt: str | None = Field(default=None, max_length=80)


class FacetIn(BaseModel):
    code: str = Field(max_length=40)
    name: str = Field(max_length=80)
    en: str = Field(default="", max_length=120)
    tags: list[TaxonomyTagIn] = Field(default_factory=list, max_length=500)


class ThemeTagIn(BaseModel):
    name: str = Field(max_length=40)
    en: str = Field(default="", max_length=120)


class TaxonomyIn(BaseModel):
    facets: list[FacetIn] = Field(default_factory=list, max_length=40)
    theme_tags: list[ThemeTagIn] = Field(default_factory=list, max_length=200)
    week_keywords: list[str] = Field(default_factory=list, max_length=50)

    def document(self) -> dict[str, Any]:
        return self.model_dump()


class WeekReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    campaign_id: uuid.UUID
    status: str
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    docx_url: str | None = None
    pdf_url: str | None = None
