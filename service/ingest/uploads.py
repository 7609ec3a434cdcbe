"""tus upload rules (sync, database + S3): admission, quotas, progress commits, completion, termination, expiry.

The streaming of request bodies lives in ``service.ingest.upload_stream``; it calls these functions from a thread
with short sessions of its own, so that a slow client never holds a database connection.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from minio.error import S3Error
from sqlalchemy import func, literal, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from service.core.config import get_settings
from service.core.db import session_scope
from service.core.errors import Problem, not_found, unavailable
from service.core.security import Principal
from service.core.storage import UploadedPart, get_storage
from service.core.tasks import ping_broker, queue_step
from service.db.asset import Asset, AssetKind, AssetStatus
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.submission import Submission
from service.db.upload import Upload, UploadStatus
from service.ingest.filenames import display_filename, sanitize_filename
from service.ingest.submissions import can_see, get_submission, window_closed
from service.ingest.tus_protocol import UploadMetadata

#: S3 allows part numbers 1..10000.
MAX_PART_NUMBER = 10_000


@dataclass(frozen=True)
class UploadState:
    """A snapshot of an upload taken at the start of a PATCH."""

    id: uuid.UUID
    asset_id: uuid.UUID
    length: int
    offset: int
    parts_bytes: int
    tail_key: str | None
    tail_size: int
    sniffed_mime: str | None
    s3_key: str
    s3_upload_id: str
    max_image_bytes: int
    max_video_bytes: int


def require_broker() -> None:
    """Refuse work whose completion could not be handed to the workers (503 + Retry-After)."""
    try:
        ping_broker()
    except Exception:  # any failure to reach Redis is an outage from the client's point of view
        raise unavailable("broker") from None


def tail_prefix(upload_id: uuid.UUID) -> str:
    return f"uploads/{upload_id}/"


def create_upload(session: Session, *, principal: Principal, meta: UploadMetadata, length: int) -> Upload:
    """Admit a new upload: submission visible, window open, size and quota within limits; starts the S3 multipart."""
    try:
        submission_id = uuid.UUID(meta.submission_id)
    except ValueError:
        raise not_found("submission") from None
    submission = get_submission(session, principal=principal, submission_id=submission_id, edit=True)
    campaign = submission.campaign
    if not campaign.upload_open(datetime.now(UTC)):
        raise window_closed(campaign)
    if length == 0:
        raise Problem(400, "empty_file", "不能上传空文件（0 字节）", "zero-byte files cannot be uploaded")
    ceiling = min(max(campaign.max_image_bytes, campaign.max_video_bytes), get_settings().max_file_size)
    if length > ceiling:
        raise too_large(ceiling, "file")
    _check_quota(session, submission, campaign, length)
    require_broker()
    filename = sanitize_filename(meta.filename)
    asset_id = uuid.uuid4()
    key = f"originals/{campaign.id}/{submission.org_id}/{asset_id}/{filename}"
    try:
        s3_upload_id = get_storage().create_multipart(key)
    except Exception as exc:
        if is_outage(exc):
            raise unavailable("storage") from None
        raise
    upload = Upload(
        submission_id=submission.id, org_id=submission.org_id, user_id=principal.user_id, asset_id=asset_id,
        status=UploadStatus.active, filename=filename, original_filename=display_filename(meta.filename), length=length,
        offset=0, declared_sha256=meta.sha256, upload_metadata={
            key: display_filename(value, 1000) for key, value in {"filetype": meta.filetype or "", **meta.extra}.items()
        },
        s3_key=key, s3_upload_id=s3_upload_id, parts=[], next_part_number=1, tail_size=0,
        expires_at=_new_expiry(),
    )
    session.add(upload)
    session.flush()
    return upload


def too_large(limit: int, what: str) -> Problem:
    mib = limit / 1024**2
    zh_what = {"image": "照片", "video": "视频"}.get(what, "文件")
    return Problem(413, "file_too_large", f"{zh_what}超过本次活动允许的最大大小 {mib:.0f} MiB",
                   f"the {what} exceeds this campaign's limit of {mib:.0f} MiB", extra={"limit_bytes": limit})


def is_outage(exc: BaseException) -> bool:
    """S3 unreachable or failing: the client should retry later (503); it loses at most unacknowledged bytes."""
    return isinstance(exc, Urllib3HTTPError | ConnectionError | TimeoutError) or (
        isinstance(exc, S3Error) and exc.code in ("InternalError", "ServiceUnavailable", "SlowDown"))


def _check_quota(session: Session, submission: Submission, campaign: Campaign, length: int) -> None:
    # One admission at a time per organisation, so that two parallel uploads cannot both fit in the last gigabyte.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"quota:{submission.org_id}"})
    org = session.get(Organization, submission.org_id)
    quota = org.quota_bytes if org is not None and org.quota_bytes is not None else campaign.org_quota_bytes
    stored = session.scalar(
        select(func.coalesce(func.sum(Asset.size), 0)).where(
            Asset.org_id == submission.org_id, Asset.campaign_id == campaign.id,
            Asset.status != AssetStatus.rejected_invalid)
    ) or 0
    pending = session.scalar(
        select(func.coalesce(func.sum(Upload.length), 0)).join(Submission, Submission.id == Upload.submission_id)
        .where(Upload.org_id == submission.org_id, Submission.campaign_id == campaign.id,
               Upload.status == UploadStatus.active, Upload.expires_at > func.now())
    ) or 0
    if stored + pending + length > quota:
        gib = quota / 1024**3
        raise Problem(413, "quota_exceeded", f"本单位在本次活动的存储配额（{gib:.1f} GiB）已用完",
                      f"your organisation's storage quota for this campaign ({gib:.1f} GiB) would be exceeded",
                      extra={"quota_bytes": quota, "used_bytes": int(stored + pending)})


def get_upload(session: Session, *, principal: Principal, upload_id: uuid.UUID, lock: bool = False) -> Upload:
    upload = session.get(Upload, upload_id, with_for_update=lock)
    if upload is None or not can_see(principal, upload.org_id):
        raise not_found("upload")
    return upload


def require_active(upload: Upload) -> None:
    if upload.status in (UploadStatus.aborted, UploadStatus.expired) or (
        upload.status == UploadStatus.active and upload.expires_at <= datetime.now(UTC)
    ):
        raise Problem(410, "upload_gone", "该上传已终止或已过期，请重新上传",
                      "this upload was terminated or has expired; start a new upload")


def state_for_patch(*, principal: Principal, upload_id: uuid.UUID, offset: int) -> UploadState:
    """Load the upload a PATCH continues; 409 when the client's offset is not the server's."""
    with session_scope() as session:
        upload = get_upload(session, principal=principal, upload_id=upload_id)
        require_active(upload)
        if upload.status == UploadStatus.completed or offset != upload.offset:
            raise Problem(409, "offset_mismatch", f"上传偏移量不一致：服务器已收到 {upload.offset} 字节",
                          f"Upload-Offset {offset} does not match the server's offset {upload.offset}",
                          headers={"Upload-Offset": str(upload.offset)}, extra={"offset": upload.offset})
        campaign = upload_campaign(session, upload)
        return UploadState(
            id=upload.id, asset_id=upload.asset_id, length=upload.length, offset=upload.offset,
            parts_bytes=sum(int(p[2]) for p in upload.parts), tail_key=upload.tail_key, tail_size=upload.tail_size,
            sniffed_mime=upload.sniffed_mime, s3_key=upload.s3_key, s3_upload_id=upload.s3_upload_id,
            max_image_bytes=campaign.max_image_bytes, max_video_bytes=campaign.max_video_bytes,
        )


def upload_campaign(session: Session, upload: Upload) -> Campaign:
    submission = session.get(Submission, upload.submission_id)
    if submission is None:
        raise not_found("submission")
    return submission.campaign


def reserve_part_number(upload_id: uuid.UUID) -> int:
    """A part number nobody used before: a PATCH that lost a race can never overwrite a committed part."""
    with session_scope() as session:
        number = session.scalar(
            update(Upload).where(Upload.id == upload_id, Upload.status == UploadStatus.active)
            .values(next_part_number=Upload.next_part_number + 1).returning(Upload.next_part_number - 1)
        )
        status = session.scalar(select(Upload.status).where(Upload.id == upload_id)) if number is None else None
    if status == UploadStatus.completed:  # a request racing at the same offset completed it first
        raise offset_moved()
    if number is None:
        raise Problem(410, "upload_gone", "该上传已终止", "this upload was terminated")
    if number > MAX_PART_NUMBER:
        raise Problem(409, "too_many_parts", "该上传的分段次数过多，请重新上传",
                      "this upload used too many parts; restart it")
    return int(number)


def offset_moved() -> Problem:
    """409 for a PATCH that lost a race: another request committed at its offset while it was streaming."""
    return Problem(409, "offset_mismatch", "另一个请求同时写入了该上传，请查询偏移量后继续",
                   "another request wrote to this upload meanwhile; HEAD it and resume")


def commit_progress(upload_id: uuid.UUID, *, expected_offset: int, new_offset: int, parts: list[UploadedPart],
                    tail_key: str | None, tail_size: int, sniffed_mime: str | None = None) -> None:
    """Record new parts and the tail, if nobody else moved the offset meanwhile (optimistic check)."""
    values: dict[str, Any] = {
        "offset": new_offset, "tail_key": tail_key, "tail_size": tail_size, "expires_at": _new_expiry(),
        "parts": Upload.parts.op("||")(literal([[p.number, p.etag, p.size] for p in parts], JSONB)),
    }
    if sniffed_mime:
        values["sniffed_mime"] = sniffed_mime
    with session_scope() as session:
        result = session.execute(
            update(Upload).where(Upload.id == upload_id, Upload.offset == expected_offset,
                                 Upload.status == UploadStatus.active).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise offset_moved()


def complete_upload(*, state: UploadState, expected_offset: int, new_parts: list[UploadedPart],
                    sniffed_mime: str, kind: AssetKind) -> uuid.UUID:
    """Assemble the S3 object, create the asset (status ``uploading``) and queue its first step after the commit."""
    storage = get_storage()
    with session_scope() as session:
        upload = session.get(Upload, state.id, with_for_update=True)
        if upload is None or upload.status != UploadStatus.active or upload.offset != expected_offset:
            raise offset_moved()
        parts = [UploadedPart(int(n), str(e), int(s)) for n, e, s in upload.parts] + new_parts
        try:
            storage.complete_multipart(upload.s3_key, upload.s3_upload_id, parts)
        except S3Error as exc:
            # A previous attempt may have completed it and died before its commit: the object is then whole.
            if exc.code != "NoSuchUpload" or storage.stat_size(upload.s3_key) != upload.length:
                raise
        submission = session.get(Submission, upload.submission_id)
        assert submission is not None  # noqa: S101 - upload rows cascade with their submission
        now = datetime.now(UTC)
        upload.offset, upload.status, upload.completed_at = upload.length, UploadStatus.completed, now
        upload.sniffed_mime = sniffed_mime
        upload.parts = [[p.number, p.etag, p.size] for p in parts]
        upload.tail_key, upload.tail_size = None, 0
        session.add(Asset(
            id=upload.asset_id, submission_id=upload.submission_id, org_id=upload.org_id,
            campaign_id=submission.campaign_id, uploaded_by=upload.user_id, kind=kind, status=AssetStatus.uploading,
            original_key=upload.s3_key, original_filename=upload.original_filename, size=upload.length,
            mime=sniffed_mime, declared_sha256=upload.declared_sha256, credit=submission.credits[:300],
        ))
        session.flush()
        queue_step(session, upload.asset_id)
        asset_id = upload.asset_id
    delete_tails(state.id)
    return asset_id


def abandon(upload_id: uuid.UUID, status: UploadStatus) -> None:
    """Terminate an upload: abort its multipart, delete its tails. Idempotent."""
    with session_scope() as session:
        upload = session.get(Upload, upload_id, with_for_update=True)
        if upload is None or upload.status != UploadStatus.active:
            return
        get_storage().abort_multipart(upload.s3_key, upload.s3_upload_id)
        upload.status, upload.tail_key, upload.tail_size = status, None, 0
    delete_tails(upload_id)


def forget_failed_creation(upload_id: uuid.UUID) -> None:
    """A creation-with-upload that failed (413, 415, 460, 503…): abort it; when S3 is down, expire it at once so
    that it stops counting against the quota and the expiry task aborts the multipart later."""
    try:
        abandon(upload_id, UploadStatus.aborted)
    except Exception:  # storage (or the database) unreachable: the original error is the one the client sees
        with contextlib.suppress(Exception), session_scope() as session:
            session.execute(update(Upload).where(Upload.id == upload_id, Upload.status == UploadStatus.active)
                            .values(expires_at=datetime.now(UTC)))


def delete_tails(upload_id: uuid.UUID) -> None:
    try:
        get_storage().delete_prefix(tail_prefix(upload_id))
    except Exception:  # leftovers are removed by the expiry task; the upload itself is settled
        return


def expire_uploads(*, now: datetime | None = None, limit: int = 500) -> int:
    """Abort uploads past their expiry (the periodic maintenance task calls this)."""
    now = now or datetime.now(UTC)
    with session_scope() as session:
        ids = list(session.scalars(
            select(Upload.id).where(Upload.status == UploadStatus.active, Upload.expires_at <= now).limit(limit)
        ))
    for upload_id in ids:
        abandon(upload_id, UploadStatus.expired)
    return len(ids)


def lookup_hashes(session: Session, *, principal: Principal, hashes: list[str],
                  submission_id: uuid.UUID | None) -> dict[str, uuid.UUID]:
    """Which of ``hashes`` the caller's organisation already uploaded (verified, or still being verified)."""
    org_id = principal.org_id
    if submission_id is not None:
        org_id = get_submission(session, principal=principal, submission_id=submission_id, edit=True).org_id
    found: dict[str, uuid.UUID] = {}
    rows = session.execute(
        select(Asset.id, Asset.sha256, Asset.declared_sha256, Asset.status)
        .where(Asset.org_id == org_id, Asset.status.not_in([AssetStatus.rejected_invalid, AssetStatus.failed]))
        .where((Asset.sha256.in_(hashes)) | ((Asset.sha256.is_(None)) & Asset.declared_sha256.in_(hashes)))
        .order_by(Asset.created_at)
    ).all()
    for asset_id, sha, declared, _status in rows:
        found.setdefault(sha or declared or "", asset_id)
    return found


def _new_expiry() -> datetime:
    return datetime.now(UTC) + timedelta(hours=get_settings().upload_expiry_hours)

