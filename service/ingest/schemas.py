"""Request and response bodies of the submissions API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.core.bounds import BoundedDate
from service.core.text import clean_text
from service.ingest.vocabulary import CATEGORIES


def check_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"未知的类别 / unknown category {value!r}; use one of {', '.join(CATEGORIES)}")
    return value


def check_theme_tags(value: list[str]) -> list[str]:
    """Shape only (deduplicated); whether each is one of the campaign's theme tags is checked by the service, which
    knows the campaign (``service.campaigns.service.check_theme_tags``)."""
    return list(dict.fromkeys(value))


class SubmissionFields(BaseModel):
    model_config = ConfigDict(str_max_length=5000)

    category: str = Field(default="activity_photos", description=f"one of {', '.join(CATEGORIES)}")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    activity: str = Field(default="", max_length=100)
    activity_date: BoundedDate | None = None
    place: str = Field(default="", max_length=200)
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$", description="GB/T 2260 code")
    theme_tags: list[str] = Field(default_factory=list, max_length=10)
    credits: str = Field(default="", max_length=300)
    consent: bool = False

    @field_validator("title", "activity", "place", "credits")
    @classmethod
    def _line(cls, value: str) -> str:
        return clean_text(value, multiline=False)

    @field_validator("description")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return check_category(value)

    @field_validator("theme_tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return check_theme_tags(value)


class SubmissionCreate(SubmissionFields):
    campaign_id: uuid.UUID | None = Field(default=None, description="default: the campaign whose upload window is open")
    org_id: uuid.UUID | None = Field(default=None, description="staff only: submit on behalf of an organisation")


class SubmissionUpdate(BaseModel):
    category: str | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    activity: str | None = Field(default=None, max_length=100)
    activity_date: BoundedDate | None = None
    place: str | None = Field(default=None, max_length=200)
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    theme_tags: list[str] | None = Field(default=None, max_length=10)
    credits: str | None = Field(default=None, max_length=300)
    consent: bool | None = None

    @field_validator("title", "activity", "place", "credits")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value, multiline=False)

    @field_validator("description")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return None if value is None else check_category(value)

    @field_validator("theme_tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_theme_tags(value)


class SuggestedTagOut(BaseModel):
    """A taxonomy tag matched in a submission's text: a suggestion for the whole submission, not a tag of one file."""

    name: str
    facet: str = ""
    score: float
    evidence: list[str] = Field(default_factory=list, description="the words of the submission that matched")
    source: str = Field(default="submission_text", description="always submission_text: from the submission")


class SubmissionOut(SubmissionFields):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    campaign_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    created_at: datetime
    updated_at: datetime
    asset_count: int = 0
    suggested_tags: list[SuggestedTagOut] = Field(
        default_factory=list, description="taxonomy tags matched in the submission's text (source submission_text)")
    prereview_state: str | None = Field(
        default=None, description="the parent organisation's pre-review: pending / forwarded / returned (null: none)")
    prereview_reason: str | None = Field(default=None, description="why the parent organisation returned it")


class SubmissionPage(BaseModel):
    items: list[SubmissionOut]
    total: int
