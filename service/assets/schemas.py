"""Response bodies of the assets API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from service.assets.screening_schemas import DuplicatesOut, FindingOut, QualityOut, TagOut
from service.ingest.schemas import SuggestedTagOut


class Reason(BaseModel):
    code: str
    detail: str


class RenditionOut(BaseModel):
    name: str
    mime: str
    width: int | None
    height: int | None
    size: int


class RetryOut(BaseModel):
    id: uuid.UUID
    status: str
    step: str


class AssetOut(BaseModel):
    id: uuid.UUID
    submission_id: uuid.UUID
    org_id: uuid.UUID
    campaign_id: uuid.UUID
    kind: str | None
    status: str
    reason: Reason | None
    original_filename: str
    size: int
    mime: str | None
    sha256: str | None
    exact_of: uuid.UUID | None
    width: int | None
    height: int | None
    duration: float | None
    capture_time: datetime | None
    probe: dict[str, Any]
    renditions: list[RenditionOut]
    jobs: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    # screening (filled on GET /assets/{id}; empty in lists)
    findings: list[FindingOut] = Field(default_factory=list)
    tags: list[TagOut] = Field(default_factory=list, description="this file's tags, each from per-file evidence")
    submission_suggestions: list[SuggestedTagOut] = Field(
        default_factory=list, description="tags suggested by the submission's text, for the submission as a whole")
    ocr_text: str | None = None
    faces: int | None = None
    quality: QualityOut | None = None
    duplicates: DuplicatesOut = Field(default_factory=DuplicatesOut)


class AssetPage(BaseModel):
    items: list[AssetOut]
    total: int
