"""/api/v1/reports/{id}/documents and /api/v1/documents/{id}: a report's attached documents.

Uploads are answered 202: the document is stored and waits for its inspection (``workers.documents.tasks``); its
status, reject reason, pages, text excerpt and findings are read back with GET.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse, Response
from minio.error import S3Error
from starlette.concurrency import run_in_threadpool

from service.core.clientaddr import client_address
from service.core.config import get_settings
from service.core.db import new_session
from service.core.deps import PrincipalDep, SessionDep
from service.core.errors import Problem, not_found
from service.core.filenames import sanitize_filename
from service.core.security import Principal
from service.core.storage import get_storage
from service.db.reporting import DocumentStatus, ReportDocument
from service.documents import service
from service.documents.schemas import DocumentOut
from service.documents.upload import receive

router = APIRouter(prefix="/api/v1", tags=["documents"])


def _admit(principal: Principal, report_id: uuid.UUID) -> int:
    """The caller may add a document to the report: the campaign's size limit (its own short transaction)."""
    with new_session() as session:
        report = service.report_for(session, principal, report_id)
        service.check_may_upload(session, principal, report)
        return report.campaign.max_document_bytes


#: The upload's body as OpenAPI shows it (the endpoint streams the body itself, so FastAPI cannot infer it).
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "PDF, DOCX, ODT or UTF-8/GB18030 text; typed by content"}}}}}}}


@router.post("/reports/{report_id}/documents", status_code=202, response_model=DocumentOut,
             openapi_extra=UPLOAD_BODY)
async def upload_document(report_id: uuid.UUID, request: Request, principal: PrincipalDep,
                          session: SessionDep) -> DocumentOut:
    """Attach a PDF, DOCX, ODT or plain-text file (multipart field ``file``); inspected in the background."""
    limit = await run_in_threadpool(_admit, principal, report_id)
    received, folder = await receive(request, limit)
    try:
        document_id = uuid.uuid4()
        filename = sanitize_filename(received.filename) or f"document.{received.found.extensions[0]}"

        def store() -> DocumentOut:
            report = service.report_for(session, principal, report_id)
            service.check_may_upload(session, principal, report)  # again: the report may have moved on meanwhile
            key = service.original_key(report, document_id, filename)
            get_storage().put_file(key, received.path, received.found.mime)
            stored = service.Stored(document_id, key, filename, received.size, received.sha256, received.found.code)
            document = service.add_document(session, principal=principal, report=report, stored=stored,
                                            ip=client_address(request))
            session.commit()  # before the 202: FastAPI ends a yield dependency after the response is sent
            return DocumentOut.of(document)

        return await run_in_threadpool(store)
    finally:
        folder.cleanup()


@router.get("/reports/{report_id}/documents", response_model=list[DocumentOut])
def list_documents(report_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> list[DocumentOut]:
    report = service.report_for(session, principal, report_id)
    return [DocumentOut.of(document) for document in service.documents_of(session, report)]


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> DocumentOut:
    document, _ = service.document_for(session, principal, document_id)
    return DocumentOut.of(document)


@router.get("/documents/{document_id}/thumbnail", response_class=Response)
def get_thumbnail(document_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Response:
    """The first page as a JPEG (private: served through the API, never a public URL)."""
    document, _ = service.document_for(session, principal, document_id)
    if not document.thumbnail_key:
        raise not_found("thumbnail")
    try:
        data = get_storage().get_bytes(document.thumbnail_key)
    except S3Error as exc:
        raise not_found("thumbnail") from exc
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.get("/documents/{document_id}/download", status_code=307, response_class=RedirectResponse)
def download_document(document_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> RedirectResponse:
    """307 to a presigned URL of the original that expires after ``presign_ttl_seconds``. Only a document that
    passed its inspection is handed out (a refused or not yet inspected one may be hostile); the reason is on GET."""
    document, _ = service.document_for(session, principal, document_id)
    if document.status == DocumentStatus.rejected:
        raise Problem(409, "document_rejected", "该文档已被拒收，不提供下载", "a refused document is not handed out")
    if document.status == DocumentStatus.pending:
        raise Problem(409, "document_pending", "文档正在检查，检查通过后才能下载",
                      "the document is still being inspected; it can be downloaded once it passed")
    mime = _mime(document)
    url = get_storage().presigned_get(document.object_key, ttl_seconds=get_settings().presign_ttl_seconds,
                                      filename=document.filename, content_type=mime)
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})


@router.delete("/documents/{document_id}", status_code=204, response_class=Response)
def delete_document(document_id: uuid.UUID, request: Request, principal: PrincipalDep, session: SessionDep,
                    background: BackgroundTasks) -> Response:
    keys = service.delete_document(session, principal=principal, document_id=document_id,
                                   ip=client_address(request))
    session.commit()  # before the 204 (see upload_document); the objects go only once the row is gone
    background.add_task(service.forget_objects, keys)
    return Response(status_code=204)


def _mime(document: ReportDocument) -> str:
    from service.core.media_types import DOCUMENT_BY_CODE

    found = DOCUMENT_BY_CODE.get(document.doc_type.value) if document.doc_type else None
    return found.mime if found else "application/octet-stream"


