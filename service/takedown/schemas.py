"""Bodies of the takedown API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.db.takedown import TakedownStatus


class TakedownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="Why (for the record; never delivered)")
    legal_hold: bool = Field(default=False, description="Keep the bytes: the purge waits until the hold is lifted")


class TakedownRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000, description="e.g. a guardian withdrew consent")


class TakedownPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_hold: bool


class TakedownOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    asset_id: uuid.UUID
    status: TakedownStatus
    reason: str
    requested_by: uuid.UUID | None
    requested_at: datetime | None
    decided_by: uuid.UUID | None
    taken_down_at: datetime | None
    purge_after: datetime | None
    legal_hold: bool
    purged_at: datetime | None
    summary: dict[str, Any]
