"""tus 1.0 at ``/api/v1/uploads`` (creation, creation-with-upload, termination, checksum, expiration).

Stock clients (tuspy, tus-js-client) work against it. Request bodies are streamed (``upload_stream``); the handlers
that read a body are ``async`` and do their database and S3 work in threads with short sessions.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.core import ratelimit
from service.core.config import get_settings
from service.core.db import session_scope
from service.core.deps import PrincipalDep, SessionDep
from service.core.errors import Problem, unauthorized, unavailable
from service.core.security import Principal, authenticate_token
from service.db.upload import UploadStatus
from service.ingest import upload_stream, uploads
from service.ingest.tus_protocol import (
    CHECKSUM_ALGORITHMS,
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    UploadMetadata,
    http_date,
    parse_checksum,
    parse_length,
    upload_metadata,
)
from service.ops import metrics

PREFIX = "/api/v1/uploads"
router = APIRouter(prefix=PREFIX, tags=["uploads"])


class LookupRequest(BaseModel):
    sha256: list[Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]] = Field(max_length=1000)
    submission_id: uuid.UUID | None = None


class LookupResponse(BaseModel):
    found: dict[str, uuid.UUID] = Field(description="sha256 → id of the asset your organisation already has")


@router.options("", status_code=204)
def tus_options() -> Response:
    return Response(status_code=204, headers={
        "Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS, "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS,
        "Tus-Max-Size": str(get_settings().max_file_size),
    })


@router.post("", status_code=201, responses={201: {"description": "Created; Location is the upload URL"}})
async def tus_create(request: Request) -> Response:
    """Create an upload (``Upload-Length``, ``Upload-Metadata`` with ``submission_id`` and ``filename``); a body
    of type ``application/offset+octet-stream`` is appended at once (creation-with-upload)."""
    principal = await run_in_threadpool(_authenticate, request)
    length = parse_length(request.headers.get("upload-length"), "Upload-Length")
    meta = upload_metadata(request.headers.get("upload-metadata"))
    has_body = _has_body(request)
    checksum = None
    if has_body:  # header errors are reported before anything is created
        _require_offset_type(request)
        checksum = parse_checksum(request.headers.get("upload-checksum"))
    upload_id = await run_in_threadpool(_create, principal, meta, length)
    headers = {"Location": f"{PREFIX}/{upload_id}", "Upload-Offset": "0"}
    if has_body:
        try:
            state = await run_in_threadpool(uploads.state_for_patch, principal=principal, upload_id=upload_id,
                                            offset=0)
            result = await _append(request, state, checksum)
        except BaseException:
            # The client never learns the upload's URL from an error, so it cannot resume it: nothing may stay
            # behind that holds quota (an ``active`` row) or storage (the multipart).
            await run_in_threadpool(uploads.forget_failed_creation, upload_id)
            raise
        if result.disconnected:  # the Location never reached the client: nobody can resume this upload
            await run_in_threadpool(uploads.forget_failed_creation, upload_id)
        headers.update(_result_headers(result))
    headers["Upload-Expires"] = await run_in_threadpool(_expires, upload_id)
    return Response(status_code=201, headers=headers)


@router.head("/{upload_id}")
def tus_head(upload_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Response:
    upload = uploads.get_upload(session, principal=principal, upload_id=upload_id)
    uploads.require_active(upload)
    headers = {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length), "Cache-Control": "no-store"}
    if upload.status == UploadStatus.completed:
        headers["X-Asset-Id"] = str(upload.asset_id)
    else:
        headers["Upload-Expires"] = http_date(upload.expires_at)
    return Response(status_code=200, headers=headers)


@router.patch("/{upload_id}", status_code=204)
async def tus_patch(upload_id: uuid.UUID, request: Request) -> Response:
    """Append bytes at ``Upload-Offset``; optional ``Upload-Checksum: sha256 <base64>`` (460 on mismatch)."""
    principal = await run_in_threadpool(_authenticate, request)
    _require_offset_type(request)
    offset = parse_length(request.headers.get("upload-offset"), "Upload-Offset")
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    state = await run_in_threadpool(uploads.state_for_patch, principal=principal, upload_id=upload_id, offset=offset)
    result = await _append(request, state, checksum)
    headers = _result_headers(result)
    if result.asset_id is None:
        headers["Upload-Expires"] = await run_in_threadpool(_expires, upload_id)
    return Response(status_code=204, headers=headers)


@router.delete("/{upload_id}", status_code=204)
def tus_delete(upload_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> Response:
    """Termination: abort the S3 multipart upload and forget the received bytes."""
    upload = uploads.get_upload(session, principal=principal, upload_id=upload_id)
    uploads.require_active(upload)
    if upload.status == UploadStatus.completed:
        raise Problem(409, "upload_completed", "该上传已完成，请通过素材接口管理",
                      "this upload is complete; manage the asset instead")
    try:
        uploads.abandon(upload.id, UploadStatus.aborted)
    except Exception as exc:
        if uploads.is_outage(exc):
            raise unavailable("storage") from None
        raise
    return Response(status_code=204)


@router.post("/lookup", response_model=LookupResponse)
def lookup(body: Annotated[LookupRequest, Body()], principal: PrincipalDep, session: SessionDep) -> LookupResponse:
    """Which files (by sha256) your organisation already uploaded, so that clients can skip them."""
    hashes = sorted({h.lower() for h in body.sha256})
    found = uploads.lookup_hashes(session, principal=principal, hashes=hashes, submission_id=body.submission_id)
    return LookupResponse(found=found)


async def _append(request: Request, state: uploads.UploadState, checksum: bytes | None) -> upload_stream.AppendResult:
    with metrics.upload_in_flight():
        try:
            result = await upload_stream.append(request, state, checksum)
        except Problem as problem:
            metrics.upload_finished(problem.code)
            raise
        except Exception as exc:
            if uploads.is_outage(exc):
                metrics.upload_finished("storage_unavailable")
                raise unavailable("storage") from None
            metrics.upload_finished("error")
            raise
    metrics.upload_bytes(max(0, result.offset - state.offset))
    if result.asset_id is not None:
        metrics.upload_finished("completed")
    return result


def _authenticate(request: Request) -> Principal:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        cookie_principal: Principal | None = getattr(request.state, "principal", None)
        if cookie_principal is not None:
            return cookie_principal  # the browser upload page: WebSessionMiddleware checked the CSRF token
        raise unauthorized()
    ratelimit.check_failures(request, "token")  # the same per-address limit as every other endpoint
    with session_scope() as session:
        principal = authenticate_token(session, secret.strip())
    if principal is None:
        ratelimit.note_failure(request, "token")
        raise unauthorized()
    return principal


def _create(principal: Principal, meta: UploadMetadata, length: int) -> uuid.UUID:
    with session_scope() as session:
        return uploads.create_upload(session, principal=principal, meta=meta, length=length).id


def _expires(upload_id: uuid.UUID) -> str:
    from service.db.upload import Upload

    with session_scope() as session:
        upload = session.get(Upload, upload_id)
        return http_date(upload.expires_at) if upload is not None else ""


def _result_headers(result: upload_stream.AppendResult) -> dict[str, str]:
    headers = {"Upload-Offset": str(result.offset)}
    if result.asset_id is not None:
        headers["X-Asset-Id"] = str(result.asset_id)
    return headers


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length.strip() not in ("", "0")) or "chunked" in request.headers.get(
        "transfer-encoding", "").lower()


def _require_offset_type(request: Request) -> None:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise Problem(415, "wrong_content_type", f"请求体类型必须是 {OFFSET_CONTENT_TYPE}",
                      f"the request body must have Content-Type {OFFSET_CONTENT_TYPE}")


class TusHeaders:
    """ASGI middleware: ``Tus-Resumable`` on every upload response; 412 for clients speaking another version."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(PREFIX) or path == f"{PREFIX}/lookup":
            await self.app(scope, receive, send)
            return
        version = dict(scope.get("headers") or []).get(b"tus-resumable")
        if scope["method"] != "OPTIONS" and version != TUS_VERSION.encode():
            problem = Problem(412, "tus_version_unsupported", "仅支持 tus 1.0.0 协议（请求头 Tus-Resumable: 1.0.0）",
                              "only tus 1.0.0 is supported (send Tus-Resumable: 1.0.0)",
                              headers={"Tus-Version": TUS_VERSION, "Tus-Resumable": TUS_VERSION})
            await problem.response(path)(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"tus-resumable", TUS_VERSION.encode())]
            await send(message)

        await self.app(scope, receive, send_with_header)
