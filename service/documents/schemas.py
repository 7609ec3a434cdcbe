"""What the documents API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from service.db.reporting import ReportDocument
from service.documents.reasons import reason

#: Characters of the extracted text a document's answer carries (the whole text is in the report's search).
EXCERPT_CHARS = 500


class RejectReason(BaseModel):
    code: str
    zh: str
    en: str
    detail: str | None = None  # what the inspection found (technical, e.g. the offending member)


class DocumentOut(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID
    filename: str
    doc_type: str | None
    bytes: int
    sha256: str | None
    status: str
    reject: RejectReason | None
    pages: int | None
    text_chars: int
    excerpt: str
    has_thumbnail: bool
    findings: list[dict[str, Any]]
    created_at: datetime

    @classmethod
    def of(cls, document: ReportDocument) -> DocumentOut:
        reject = None
        if document.reject_code:
            zh, en = reason(document.reject_code)
            reject = RejectReason(code=document.reject_code, zh=zh, en=en, detail=document.reject_detail or None)
        text = document.text or ""
        return cls(id=document.id, report_id=document.report_id, filename=document.filename,
                   doc_type=document.doc_type.value if document.doc_type else None, bytes=document.bytes,
                   sha256=document.sha256, status=document.status.value, reject=reject, pages=document.pages,
                   text_chars=len(text), excerpt=text[:EXCERPT_CHARS], has_thumbnail=bool(document.thumbnail_key),
                   findings=list(document.findings or []), created_at=document.created_at)
