"""Request and response bodies of the review API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from service.core.bounds import BoundedDate
from service.core.findings import FILTER_CODES, FILTERS
from service.core.text import CleanText, clean_text
from service.review.reasons import Action


def _tag(value: str) -> str:
    value = clean_text(value)
    if not 1 <= len(value) <= 60:
        raise ValueError("标签长度应为 1–60 个字符 / tags have 1–60 characters")
    return value


class DecisionIn(BaseModel):
    action: Action
    version: int | None = Field(default=None, description="The version you saw; a stale one gets 409")
    reason_code: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,40}$")
    reason_text: CleanText = Field(default="", max_length=2000)
    confirm_without_consent: bool = Field(
        default=False, description="Feature files with faces and missing consent anyway (audited); else 409")


class EditIn(BaseModel):
    version: int | None = None
    caption: str | None = Field(default=None, max_length=2000)
    credit: str | None = Field(default=None, max_length=300)
    add_tags: list[str] = Field(default_factory=list, max_length=20)
    remove_tags: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("caption", "credit")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value)

    @field_validator("add_tags", "remove_tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [_tag(v) for v in value]


class BulkIn(BaseModel):
    asset_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    action: Action
    reason_code: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,40}$")
    reason_text: CleanText = Field(default="", max_length=2000)
    confirm_without_consent: bool = Field(
        default=False, description="Feature files with faces and missing consent anyway (audited); else 409")


class BulkOut(BaseModel):
    done: list[uuid.UUID]
    skipped: list[dict[str, str]]


class ClusterResolveIn(BaseModel):
    keep: uuid.UUID | None = Field(default=None, description="default: the suggested best shot")


class ClusterResolveOut(BaseModel):
    kept: uuid.UUID
    rejected: list[uuid.UUID]


class ReviewOut(BaseModel):
    asset_id: uuid.UUID
    version: int
    review_status: str
    reason_code: str | None
    reason_text: str
    claimed_by: str | None = None
    claimed_until: datetime | None
    claimed_by_me: bool = False
    caption: str = ""
    credit: str = ""
    tags: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    risk_flags: list[str]
    risk_score: float
    quality_score: float
    ocr_text: str
    cluster_id: uuid.UUID | None
    cluster_best: bool


class QueueItem(BaseModel):
    asset_id: uuid.UUID
    version: int
    title: str
    filename: str
    caption: str
    kind: str | None
    category: str
    review_status: str
    org_name: str
    region_code: str | None
    uploaded_at: datetime
    capture_time: datetime | None
    quality_score: float
    risk_score: float
    risk_flags: list[str]
    tags: list[str]
    cluster_id: uuid.UUID | None
    claimed_by: str | None
    thumb_url: str
    consent_state: str = "missing"  # effective: the file's own, else its submission's checkbox
    shows_minors: bool = False
    needs_consent: bool = False  # faces found and consent missing: featuring or releasing asks to confirm


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


class EventOut(BaseModel):
    id: uuid.UUID
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    created_at: datetime


class SavedFilterIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    query: dict[str, str | int | bool | None] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = clean_text(value, multiline=False)
        if not value:
            raise ValueError("名称不能为空 / name must not be empty")
        return value

    @field_validator("query")
    @classmethod
    def _values(cls, value: dict[str, str | int | bool | None]) -> dict[str, str | int | bool | None]:
        # Stored as JSONB, which refuses NUL: the queue's own parameters are checked again when the filter is saved.
        return {clean_text(k, multiline=False): clean_text(v, multiline=False) if isinstance(v, str) else v
                for k, v in value.items()}


class SavedFilterOut(BaseModel):
    id: uuid.UUID
    name: str
    query: dict[str, Any]


class QueueParams(BaseModel):
    """Query parameters of the queue (also the shape of a saved filter's ``query``)."""

    campaign_id: uuid.UUID | None = None
    region: str | None = Field(default=None, pattern=r"^[0-9]{2}(?:[0-9]{2}){0,2}$")
    org_id: uuid.UUID | None = None
    category: str | None = Field(default=None, max_length=40)
    kind: str | None = Field(default=None, pattern="^(image|video)$")
    status: str = "pending"
    tag: str | None = Field(default=None, max_length=60)
    finding: str | None = Field(default=None, max_length=40, description="A finding filter (GET /api/v1/findings)",
                                json_schema_extra={"enum": [f.code for f in FILTERS]})
    cluster_id: uuid.UUID | None = None
    in_cluster: bool | None = None
    captured_from: BoundedDate | None = None
    captured_to: BoundedDate | None = None
    uploaded_from: BoundedDate | None = None
    uploaded_to: BoundedDate | None = None
    q: str | None = Field(default=None, max_length=100)
    sort: str = "newest"
    consent: str | None = Field(default=None, pattern="^(faces_missing|missing|on_file|not_needed)$",
                                description="faces_missing: faces found by screening and consent missing")

    @field_validator("finding")
    @classmethod
    def _finding(cls, value: str | None) -> str | None:
        if value is not None and value not in FILTER_CODES:
            raise ValueError(f"未知的检测结果筛选 / unknown finding filter {value!r}; use "
                             f"{', '.join(f.code for f in FILTERS)}")
        return value


class FindingTypeOut(BaseModel):
    """One entry of the findings vocabulary (``service.core.findings``)."""

    code: str
    name: str
    name_zh: str
    name_en: str
    kind: str = Field(description="risk | quality | fact")
    severity: int = Field(description="0 none … 4 critical; weight in the risk score (risks only)")
    filter: str | None = Field(description="the queue's finding= filter this code belongs to")
    evidence: str = Field(description="how the evidence in detail is shown: text | box | frames | score | facts | link")


class FindingFilterOut(BaseModel):
    code: str
    name: str
    name_zh: str
    name_en: str
    codes: list[str] = Field(description="the finding codes the filter matches")


class VocabularyOut(BaseModel):
    findings: list[FindingTypeOut]
    filters: list[FindingFilterOut]


class FileCaptionIn(BaseModel):
    """A submitter's own words for one file: headline and caption (who, what, where)."""

    headline: str = Field(default="", max_length=200)
    caption: str = Field(default="", max_length=2000)


class FileCaptionOut(BaseModel):
    asset_id: uuid.UUID
    headline: str
    caption: str
    review_status: str


class ReplaceIn(BaseModel):
    """The returned file a new upload replaces."""

    replaces: uuid.UUID
