"""Consent of the people shown: per file "shows minors" and the consent state, and the signed forms behind it.

A file's ``consent_state`` is NULL while it follows its submission's checkbox (ticked: on file, else missing); an
editor's edit or an uploaded form sets it explicitly. Consent documents are stored privately under
``consent/{submission_id}/{document_id}`` and never join a collection, package or outlet download.
"""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin


class ConsentState(enum.StrEnum):
    not_needed = "not_needed"  # nobody identifiable, or only adults who are public figures at a public event
    on_file = "on_file"  # a signed form exists (uploaded, or declared by the submitter's checkbox)
    missing = "missing"


def consent_document_key(submission_id: uuid.UUID, document_id: uuid.UUID, ext: str) -> str:
    return f"consent/{submission_id}/{document_id}.{ext}"


class ConsentDocument(IdMixin, TimestampMixin, Base):
    """A signed consent form (PDF or a photo of it) for a whole submission (``asset_id`` NULL) or one file."""

    __tablename__ = "consent_document"

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(300))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
