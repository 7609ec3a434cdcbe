"""/api/v1/…/consent: per-file consent and the private consent documents."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from service.consent import documents, service
from service.consent.schemas import ConsentDocumentOut, ConsentIn, ConsentOut
from service.core.deps import SessionDep, UploaderDep
from service.core.errors import not_found
from service.core.security import Principal
from service.db.asset import Asset
from service.db.consent import ConsentState
from service.db.submission import Submission

router = APIRouter(prefix="/api/v1", tags=["consent"])


def consent_out(session: Session, asset: Asset) -> ConsentOut:
    submission = session.get(Submission, asset.submission_id)
    state = service.effective_state(asset, submission)
    faces = service.face_count(session, asset.id)
    return ConsentOut(asset_id=asset.id, shows_minors=asset.shows_minors, consent_state=asset.consent_state,
                      effective_state=state, faces=faces,
                      needs_confirmation=faces > 0 and state == ConsentState.missing,
                      documents=[ConsentDocumentOut.model_validate(d)
                                 for d in documents.documents_of_asset(session, asset)])


def _visible_asset(session: Session, principal: Principal, asset_id: uuid.UUID) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None or not documents.may_see(principal, asset.org_id):
        raise not_found("asset")
    return asset


@router.get("/assets/{asset_id}/consent", response_model=ConsentOut)
def get_consent(asset_id: uuid.UUID, principal: UploaderDep, session: SessionDep) -> ConsentOut:
    """The file's consent: shows minors, its state (own or the submission's), faces found, the forms on file."""
    return consent_out(session, _visible_asset(session, principal, asset_id))


@router.patch("/assets/{asset_id}/consent", response_model=ConsentOut)
def set_consent(asset_id: uuid.UUID, body: ConsentIn, principal: UploaderDep, session: SessionDep) -> ConsentOut:
    """Submitters declare "shows minors" for their own files; editors also set the consent state."""
    asset = service.set_consent(session, principal=principal, asset_id=asset_id, shows_minors=body.shows_minors,
                                consent_state=body.consent_state)
    return consent_out(session, asset)


@router.post("/submissions/{submission_id}/consent-documents", status_code=201, response_model=ConsentDocumentOut,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                 "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}})
async def upload_document(submission_id: uuid.UUID, request: Request, principal: UploaderDep,
                          session: SessionDep, asset_id: uuid.UUID | None = None) -> ConsentDocumentOut:
    """Upload a signed consent form (the request body: a PDF or a photo of it) for the submission, or for one of
    its files (``asset_id``). The files it covers become "on file"."""
    data = await read_limited(request)
    document = documents.upload(session, principal=principal, submission_id=submission_id, asset_id=asset_id,
                                data=data)
    return ConsentDocumentOut.model_validate(document)


async def read_limited(request: Request) -> bytes:
    """The body, refused (413) as soon as it passes the consent document limit."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > documents.MAX_CONSENT_DOCUMENT_BYTES:
            raise documents.too_large()
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/submissions/{submission_id}/consent-documents", response_model=list[ConsentDocumentOut])
def list_documents(submission_id: uuid.UUID, principal: UploaderDep, session: SessionDep) -> list[ConsentDocumentOut]:
    return [ConsentDocumentOut.model_validate(d)
            for d in documents.list_documents(session, principal=principal, submission_id=submission_id)]


@router.get("/consent-documents/{document_id}/file", response_class=Response)
def document_file(document_id: uuid.UUID, principal: UploaderDep, session: SessionDep) -> Response:
    """The document itself (editors and the submitter's organisation; each view is audited)."""
    return documents.open_document(session, principal=principal, document_id=document_id)
