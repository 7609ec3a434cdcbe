"""Documents of a report: who may see, add and remove them, their rows, and the report's search text.

Services flush; the request commits. Access follows ``service.core.orgscope``: a report's documents are seen by its
organisation, the organisations above it and staff (a draft only by its own organisation); only its own
organisation's submitters add or remove them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import audit
from service.core.errors import Problem, forbidden, not_found
from service.core.orgscope import visible_org_ids
from service.core.queues import Queue
from service.core.security import Principal
from service.core.tasks import enqueue
from service.db.org import Role
from service.db.reporting import DocumentStatus, Report, ReportDocument, ReportStatus

#: The Celery task that inspects a stored document (``workers.documents.tasks``), on the CPU-heavy queue.
INSPECT_TASK = "documents.inspect"
INSPECT_QUEUE = Queue.media.value
#: Reports whose documents may be added to (an accepted report is closed) and removed from (not yet filed, or back).
UPLOAD_STATUSES = frozenset({ReportStatus.draft, ReportStatus.filed, ReportStatus.forwarded, ReportStatus.returned})
DELETE_STATUSES = frozenset({ReportStatus.draft, ReportStatus.returned})
MAX_DOCUMENTS_PER_REPORT = 20
#: Characters of each ready document folded into the report's search text (trigram index).
SEARCH_CHARS_PER_DOCUMENT = 200_000
SEARCH_SEPARATOR = "\n\n"


def may_see(session: Session, principal: Principal, report: Report) -> bool:
    """A report's documents are seen by whoever may see the report (one owner: ``service.reporting.service``)."""
    from service.reporting.service import can_see  # the reporting service imports this module

    return can_see(session, principal, report)


def report_for(session: Session, principal: Principal, report_id: uuid.UUID) -> Report:
    """The report, or 404 for one that does not exist or that the caller may not see."""
    report = session.get(Report, report_id)
    if report is None or not may_see(session, principal, report):
        raise not_found("report")
    return report


def document_for(session: Session, principal: Principal, document_id: uuid.UUID) -> tuple[ReportDocument, Report]:
    document = session.get(ReportDocument, document_id)
    report = session.get(Report, document.report_id) if document is not None else None
    if document is None or report is None or not may_see(session, principal, report):
        raise not_found("document")
    return document, report


def require_own_submitter(principal: Principal, report: Report) -> None:
    if principal.role != Role.submitter or principal.org_id != report.org_id:
        raise forbidden("只有报送单位本单位的填报人员可以上传或删除文档",
                        "only submitters of the report's own organisation may add or remove its documents")


def check_may_upload(session: Session, principal: Principal, report: Report) -> None:
    require_own_submitter(principal, report)
    if report.status not in UPLOAD_STATUSES:
        raise Problem(409, "report_closed", "报送材料已被采用，不能再添加文档",
                      "the report has been accepted; no documents can be added")
    count = len(session.scalars(select(ReportDocument.id).where(ReportDocument.report_id == report.id)).all())
    if count >= MAX_DOCUMENTS_PER_REPORT:
        raise Problem(409, "too_many_documents", f"每份报送材料最多 {MAX_DOCUMENTS_PER_REPORT} 个文档",
                      f"a report holds at most {MAX_DOCUMENTS_PER_REPORT} documents")


@dataclass(frozen=True)
class Stored:
    """An uploaded file already in S3 under ``key``."""

    document_id: uuid.UUID
    key: str
    filename: str
    size: int
    sha256: str
    doc_type: str


def original_key(report: Report, document_id: uuid.UUID, filename: str) -> str:
    return f"documents/{report.campaign_id}/{report.org_id}/{document_id}/{filename}"


def thumbnail_key(document_id: uuid.UUID) -> str:
    return f"derived/documents/{document_id}/thumbnail.jpg"


def add_document(session: Session, *, principal: Principal, report: Report, stored: Stored,
                 ip: str | None = None) -> ReportDocument:
    """Record a stored upload as a pending document and queue its inspection (sent after the commit)."""
    from service.db.reporting import DocumentType

    document = ReportDocument(id=stored.document_id, report_id=report.id, uploaded_by=principal.user_id,
                              filename=stored.filename, doc_type=DocumentType(stored.doc_type), bytes=stored.size,
                              sha256=stored.sha256, object_key=stored.key, status=DocumentStatus.pending)
    session.add(document)
    session.flush()
    audit.record(session, actor=principal, action="document.upload", target_kind="report_document",
                 target_id=document.id, org_id=report.org_id,
                 detail={"report_id": str(report.id), "bytes": stored.size, "sha256": stored.sha256,
                         "doc_type": stored.doc_type}, ip=ip)
    enqueue(session, INSPECT_TASK, str(document.id), queue=INSPECT_QUEUE)
    return document


def delete_document(session: Session, *, principal: Principal, document_id: uuid.UUID,
                    ip: str | None = None) -> list[str]:
    """Remove a document of a draft or returned report; returns the S3 keys to delete once the change committed."""
    document, report = document_for(session, principal, document_id)
    require_own_submitter(principal, report)
    if report.status not in DELETE_STATUSES:
        raise Problem(409, "report_not_editable", "报送材料已提交，只有草稿或被退回的材料可以删除文档",
                      "documents can be removed only while the report is a draft or returned")
    keys = [key for key in (document.object_key, document.thumbnail_key) if key]
    audit.record(session, actor=principal, action="document.delete", target_kind="report_document",
                 target_id=document.id, org_id=report.org_id,
                 detail={"report_id": str(report.id), "status": document.status.value, "sha256": document.sha256},
                 ip=ip)
    session.delete(document)
    session.flush()
    refresh_search_text(session, report)
    return keys


def documents_of(session: Session, report: Report) -> list[ReportDocument]:
    return list(session.scalars(select(ReportDocument).where(ReportDocument.report_id == report.id)
                                .order_by(ReportDocument.created_at, ReportDocument.id)).all())


def refresh_search_text(session: Session, report: Report) -> None:
    """Compose ``report.search_text`` from its title, body and its ready documents' text (one owner of that field:
    call it after changing any of them)."""
    texts = session.scalars(
        select(ReportDocument.text).where(ReportDocument.report_id == report.id,
                                          ReportDocument.status == DocumentStatus.ready)
        .order_by(ReportDocument.created_at, ReportDocument.id)).all()
    parts = [report.title or "", report.body or "", *(text[:SEARCH_CHARS_PER_DOCUMENT] for text in texts)]
    report.search_text = SEARCH_SEPARATOR.join(part for part in parts if part)
    session.flush()


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_reports(session: Session, principal: Principal, q: str, *, campaign_id: uuid.UUID | None = None,
                   limit: int = 50) -> list[Report]:
    """Reports the caller may see whose title, body or ready documents contain ``q`` (case-insensitive substring,
    served by the trigram index), newest first."""
    needle = q.strip()
    if not needle:
        return []
    query = select(Report).where(Report.search_text.ilike(f"%{escape_like(needle)}%", escape="\\"))
    if campaign_id is not None:
        query = query.where(Report.campaign_id == campaign_id)
    visible = visible_org_ids(session, principal)
    if visible is not None:
        query = query.where(Report.org_id.in_(visible),
                            (Report.status != ReportStatus.draft) | (Report.org_id == principal.org_id))
    return list(session.scalars(query.order_by(Report.updated_at.desc(), Report.id).limit(limit)).unique().all())


def object_keys(session: Session, report: Report) -> list[str]:
    """Every S3 object of a report's documents (originals and thumbnails): what deleting the report must remove."""
    keys: list[str] = []
    for document in documents_of(session, report):
        keys += [key for key in (document.object_key, document.thumbnail_key) if key]
    return keys


def forget_objects(keys: list[str]) -> None:
    """Delete S3 objects once the rows that named them are committed away (an orphan left by a failure is harmless:
    nothing names it)."""
    from minio.error import S3Error

    from service.core.storage import get_storage

    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except S3Error:
            continue
