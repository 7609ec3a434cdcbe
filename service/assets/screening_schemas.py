"""Screening parts of the asset body (findings, tags, OCR text, faces, quality, duplicates) and cluster bodies."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field, field_validator

from service.core.text import clean_text


class FindingOut(BaseModel):
    """One screening finding, named from the findings vocabulary (``GET /api/v1/findings``)."""

    code: str = Field(description="vocabulary code, e.g. qr, phone, watermark, faces, model_not_configured")
    name: str = Field(description="zh-CN name")
    name_en: str
    kind: str = Field(description="risk | quality | fact")
    severity: int = Field(description="0 none … 4 critical (risks only)")
    detector: str
    score: float
    detail: dict[str, Any]


class TagOut(BaseModel):
    name: str
    source: str
    score: float


class QualityOut(BaseModel):
    score: int
    parts: dict[str, Any]


class DuplicatesOut(BaseModel):
    exact_of: uuid.UUID | None = Field(default=None, description="the earlier byte-identical file, when the caller "
                                       "may see it (editors: always; submitters: only their organisation's)")
    copy_elsewhere: bool = Field(default=False, description="a byte-identical copy was sent by another organisation")
    cluster_id: uuid.UUID | None = None
    cluster_size: int = 0
    best_asset_id: uuid.UUID | None = Field(default=None, description="the cluster's best shot, when the caller "
                                            "may see it")


class ClusterMember(BaseModel):
    asset_id: uuid.UUID
    org_id: uuid.UUID
    submission_id: uuid.UUID
    kind: str | None
    width: int | None
    height: int | None
    quality_score: int | None
    match_distance: int | None
    is_best: bool


class ClusterOut(BaseModel):
    id: uuid.UUID
    size: int
    best_asset_id: uuid.UUID | None
    members: list[ClusterMember]


class TagIn(BaseModel):
    name: str = Field(min_length=1, max_length=60, description="Tag name (zh-CN), e.g. 开放校园")
    version: int | None = Field(default=None, description="The review version you saw; a stale one gets 409")

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str) -> str:
        value = clean_text(value, multiline=False)
        if not value:
            raise ValueError("标签名不能为空 / the tag name must not be empty")
        return value


class TagList(BaseModel):
    tags: list[TagOut]
