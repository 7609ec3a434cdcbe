"""Request and response shapes of /api/v1/hierarchy."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ParentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parent_id: uuid.UUID | None = Field(description="the new parent organisation; null: no parent")


class OrgOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    region_code: str | None
    parent_id: uuid.UUID | None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=4000, description="why it goes back; the member organisation sees it")


class BulkForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    submission_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    report_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class Refused(BaseModel):
    id: uuid.UUID
    code: str


class BulkForwardOut(BaseModel):
    forwarded: list[uuid.UUID]
    unchanged: list[uuid.UUID]
    refused: list[Refused]


class DecisionOut(BaseModel):
    id: uuid.UUID
    kind: str  # "submission" or the report's kind
    state: str  # pending / forwarded / returned
    reason: str | None


class QueueItemOut(BaseModel):
    kind: str
    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    campaign_id: uuid.UUID
    title: str
    state: str
    reason: str | None
    at: datetime | None
    files: int


class QueuePage(BaseModel):
    items: list[QueueItemOut]
    total: int


class MemberReportingOut(BaseModel):
    org_id: uuid.UUID
    org_name: str
    parent_name: str
    region_code: str | None
    reported: dict[str, bool]
    missing: list[str]


class NotReportedOut(BaseModel):
    campaign_id: uuid.UUID
    items: list[MemberReportingOut]


class MemberCountsOut(BaseModel):
    org_id: uuid.UUID
    org_name: str
    submissions: dict[str, int]
    assets: dict[str, int]
    reports: dict[str, int]
    overdue: list[str]


class DashboardOut(BaseModel):
    campaign_id: uuid.UUID
    waiting_submissions: int
    waiting_reports: int
    members: list[MemberCountsOut]
    overdue: list[uuid.UUID]
