"""Consent documents: a signed form (PDF or a photo of it) per submission or per file, stored privately.

Objects live under ``consent/{submission_id}/`` and are read only through ``GET /api/v1/consent-documents/{id}/file``
(editors and the submitter's own organisation): never in a collection, package or outlet download. Uploading one
sets the consent of the files it covers to on file.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.core.audit import record
from service.core.errors import Problem, not_found
from service.core.media_types import IMAGE, Refusal, sniff
from service.core.security import Principal
from service.core.storage import content_disposition, get_storage
from service.db.asset import Asset
from service.db.consent import ConsentDocument, ConsentState, consent_document_key
from service.db.submission import Submission

#: A scanned form or a phone photo of one is far below this.
MAX_CONSENT_DOCUMENT_BYTES = 20 * 1024 * 1024

_PDF_ACTIVE = re.compile(rb"/(?:Encrypt|JavaScript|JS|Launch|EmbeddedFile|RichMedia)(?![A-Za-z])")


@dataclass(frozen=True)
class DocumentType:
    mime: str
    ext: str


def check_consent_document(data: bytes) -> DocumentType:
    """Type a consent document by its content: a plain PDF, or a photo in an accepted image format.

    Refuses encrypted PDFs and PDFs with scripts, launch actions or embedded files (a simple scan of the bytes; the
    full document inspector in ``service/documents/`` may replace this one function)."""
    if not data:
        raise _refused("empty", "文件为空", "the file is empty")
    if len(data) > MAX_CONSENT_DOCUMENT_BYTES:
        raise too_large()
    if data[:1024].lstrip(b"\r\n\t \x00").startswith(b"%PDF-"):
        if _PDF_ACTIVE.search(data):
            raise _refused("pdf_active", "不接受加密或含脚本、附件的 PDF，请另存为普通 PDF 或拍照上传",
                           "encrypted PDFs and PDFs with scripts or attachments are refused; save a plain PDF or "
                           "upload a photo of the form")
        return DocumentType("application/pdf", "pdf")
    found = sniff(data[:4096])
    if isinstance(found, Refusal) or found.kind != IMAGE:
        raise _refused("type", "授权书须为 PDF 或签字表格的照片（JPEG、PNG、HEIC 等）",
                       "a consent document must be a PDF or a photo of the signed form (JPEG, PNG, HEIC …)")
    return DocumentType(found.mime, found.extensions[0])


def too_large() -> Problem:
    return Problem(413, "consent_document_too_large", "授权书文件不得超过 20 MB",
                   "a consent document may not exceed 20 MB")


def _refused(why: str, zh: str, en: str) -> Problem:
    return Problem(415, "unsupported_consent_document", zh, en, extra={"why": why})


def _submission_for(session: Session, principal: Principal, submission_id: uuid.UUID) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None or not may_see(principal, submission.org_id):
        raise not_found("submission")
    return submission


def may_see(principal: Principal, org_id: uuid.UUID) -> bool:
    """Editors and admins, or the submitter's own organisation (a parent province does not see its schools' forms)."""
    return principal.is_staff or principal.org_id == org_id


def upload(session: Session, *, principal: Principal, submission_id: uuid.UUID, asset_id: uuid.UUID | None,
           data: bytes) -> ConsentDocument:
    """Store a consent document and set the covered files' consent to on file (a whole submission: its checkbox is
    ticked and files marked missing become on file). Audited as ``consent.document_upload``."""
    submission = _submission_for(session, principal, submission_id)
    asset: Asset | None = None
    if asset_id is not None:
        asset = session.get(Asset, asset_id, with_for_update=True)
        if asset is None or asset.submission_id != submission.id:
            raise not_found("asset")
    kind = check_consent_document(data)
    document = ConsentDocument(id=uuid.uuid4(), submission_id=submission.id, asset_id=asset_id,
                               org_id=submission.org_id, uploaded_by=principal.user_id, mime=kind.mime,
                               size=len(data), sha256=hashlib.sha256(data).hexdigest(), key="")
    document.key = consent_document_key(submission.id, document.id, kind.ext)
    get_storage().put_bytes(document.key, data, content_type=kind.mime)
    session.add(document)
    if asset is not None:
        asset.consent_state = ConsentState.on_file
    else:
        submission.consent = True
        session.execute(update(Asset).where(Asset.submission_id == submission.id,
                                            Asset.consent_state == ConsentState.missing)
                        .values(consent_state=ConsentState.on_file))
    session.flush()
    record(session, actor=principal, action="consent.document_upload", target_kind="consent_document",
           target_id=document.id, org_id=submission.org_id,
           detail={"submission_id": str(submission.id), "asset_id": str(asset_id) if asset_id else None,
                   "mime": kind.mime, "size": len(data)})
    return document


def list_documents(session: Session, *, principal: Principal, submission_id: uuid.UUID) -> list[ConsentDocument]:
    return list_documents_of(session, _submission_for(session, principal, submission_id).id)


def list_documents_of(session: Session, submission_id: uuid.UUID) -> list[ConsentDocument]:
    """Every form of a submission (the caller has checked who may see them)."""
    return list(session.scalars(select(ConsentDocument).where(ConsentDocument.submission_id == submission_id)
                                .order_by(ConsentDocument.created_at)))


def documents_of_asset(session: Session, asset: Asset) -> list[ConsentDocument]:
    """The forms covering one file: its own and its submission's."""
    return list(session.scalars(select(ConsentDocument).where(
        ConsentDocument.submission_id == asset.submission_id,
        (ConsentDocument.asset_id == asset.id) | ConsentDocument.asset_id.is_(None))
        .order_by(ConsentDocument.created_at)))


def open_document(session: Session, *, principal: Principal, document_id: uuid.UUID) -> Response:
    """The document's bytes, streamed through the API (no presigned link leaves the house); each view is audited."""
    document = session.get(ConsentDocument, document_id)
    if document is None or not may_see(principal, document.org_id):
        raise not_found("consent document")
    data = get_storage().get_bytes(document.key)
    record(session, actor=principal, action="consent.document_view", target_kind="consent_document",
           target_id=document.id, org_id=document.org_id, detail={"submission_id": str(document.submission_id)})
    name = f"consent-{document.id}.{document.key.rsplit('.', 1)[-1]}"
    return Response(data, media_type=document.mime,
                    headers={"Content-Disposition": content_disposition(name), "Cache-Control": "no-store, private",
                             "X-Content-Type-Options": "nosniff"})


def purge_documents(session: Session, *, asset_id: uuid.UUID | None = None,
                    submission_id: uuid.UUID | None = None) -> int:
    """Delete the objects of a file's own forms (``asset_id``) or of every form of a submission; the rows go by
    cascade with the asset or submission. Used by the one purge path (workers/purge.py)."""
    storage = get_storage()
    if submission_id is not None:
        return storage.delete_prefix(f"consent/{submission_id}/")
    keys = session.scalars(select(ConsentDocument.key).where(ConsentDocument.asset_id == asset_id)).all()
    for key in keys:
        storage.delete(key)
    return len(keys)
