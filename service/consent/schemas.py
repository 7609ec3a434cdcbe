"""Request and response bodies of the consent API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from service.db.consent import ConsentState


class ConsentIn(BaseModel):
    shows_minors: bool | None = None
    consent_state: ConsentState | None = None  # editors only; null = leave as is


class ConsentDocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    submission_id: uuid.UUID
    asset_id: uuid.UUID | None
    mime: str
    size: int
    created_at: datetime


class ConsentOut(BaseModel):
    asset_id: uuid.UUID
    shows_minors: bool
    consent_state: ConsentState | None  # the file's own; null = follows the submission's checkbox
    effective_state: ConsentState
    faces: int
    needs_confirmation: bool  # faces and missing consent: featuring or releasing asks the editor to confirm
    documents: list[ConsentDocumentOut]
