"""Request and response bodies of the retention API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.db.retention import RetentionAnchor


class RetentionPolicyIn(BaseModel):
    months: int = Field(ge=1, le=240, description="Files not kept are deleted this many months after the anchor")
    anchor: RetentionAnchor = RetentionAnchor.summary_deadline
    keep_featured: bool = True
    keep_released: bool = True
    legal_hold: bool = False


class RetentionPolicyOut(RetentionPolicyIn):
    model_config = ConfigDict(from_attributes=True)

    campaign_id: uuid.UUID
    updated_by: uuid.UUID | None
    updated_at: datetime
    cutoff: date | None = None


class RetentionItemOut(BaseModel):
    asset_id: uuid.UUID
    kind: str | None
    status: str
    review_status: str
    size: int
    uploaded_at: datetime
    org_name: str


class RetentionReportOut(BaseModel):
    campaign_id: uuid.UUID
    campaign_name: str
    policy: dict[str, Any] | None
    cutoff: date | None
    due: bool
    legal_hold: bool
    counts: dict[str, int]
    bytes_to_delete: int
    items: list[RetentionItemOut]


class RetentionRunOut(BaseModel):
    status: str  # queued
    campaign_id: uuid.UUID
    to_delete: int
