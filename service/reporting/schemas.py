"""Request and response bodies of the reports API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from service.core.text import clean_text
from service.db.reporting import ReportKind, ReportStatus
from service.reporting import contact
from service.reporting.markup import MAX_BODY_CHARS

MAX_LINKED_ASSETS = 60


class ReportFields(BaseModel):
    """What a submitter writes; every field optional on edit."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=MAX_BODY_CHARS, description="Markdown subset, zh-CN")
    website_url: str | None = Field(default=None, max_length=contact.MAX_URL_CHARS, description="plan only")
    liaison_name: str | None = Field(default=None, max_length=100)
    liaison_phone: str | None = Field(default=None, max_length=40)
    liaison_email: str | None = Field(default=None, max_length=200)

    @field_validator("title", "liaison_name")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value, multiline=False)

    @field_validator("body")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else clean_text(value)

    @field_validator("website_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return contact.check_url(value) if value else None

    @field_validator("liaison_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return contact.check_phone(value) if value else None

    @field_validator("liaison_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return contact.check_email(value) if value else None


class ReportCreate(ReportFields):
    kind: ReportKind
    title: str = Field(min_length=1, max_length=200)
    campaign_id: uuid.UUID | None = Field(default=None, description="default: the current campaign")


class ReportUpdate(ReportFields):
    pass


class AssetLinks(BaseModel):
    asset_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_LINKED_ASSETS)


class Decision(BaseModel):
    action: Literal["accept", "return", "feature", "unfeature"]
    reason: str = Field(default="", max_length=2000, description="required to return")

    @field_validator("reason")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value)


class LinkedAssetOut(BaseModel):
    asset_id: uuid.UUID
    kind: str | None
    status: str
    filename: str
    position: int


class DocumentOut(BaseModel):
    id: uuid.UUID
    filename: str
    doc_type: str | None
    status: str
    pages: int | None
    reject_code: str | None


class ReportOut(BaseModel):
    id: uuid.UUID
    campaign_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    kind: ReportKind
    status: ReportStatus
    title: str
    body: str
    body_html: str
    website_url: str | None
    liaison_name: str | None
    liaison_phone: str | None
    liaison_email: str | None
    featured: bool
    return_reason: str | None
    filed_at: datetime | None
    forwarded_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    assets: list[LinkedAssetOut] = Field(default_factory=list)
    documents: list[DocumentOut] = Field(default_factory=list)


class ReportPage(BaseModel):
    items: list[ReportOut]
    total: int


class DeadlineOut(BaseModel):
    item: Literal["plan", "material", "uploads", "summary"]
    due: date | None
    state: Literal["filed", "due", "overdue", "returned", "closed", "none"]
    days_left: int | None
    filed_on: date | None = Field(description="Beijing date the organisation filed it")
    report_id: uuid.UUID | None


class DeadlinesOut(BaseModel):
    campaign_id: uuid.UUID
    org_id: uuid.UUID
    today: date = Field(description="today in Beijing")
    items: list[DeadlineOut]
