"""After the load: is every acknowledged upload an asset whose stored bytes hash right, exactly once, nothing stuck?

Also: every portal download was the server's tagged copy byte for byte (sha256, and the CRC-32 the server
recorded); no refused upload became an asset; every asset nobody was told about is a file a client really sent,
stored whole; no upload left state behind (an S3 multipart or a tail object of a finished upload, an ``active`` row
that holds quota).

A backlog is not a fault: when the drain bound passed, queued steps are the worker's queue, and only a running step
whose heartbeat went stale (the sweeper should have re-sent it) counts as stuck.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from minio.error import S3Error
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset, Job, JobStatus, Rendition
from service.db.portal import DeliveryFile
from service.db.submission import Submission
from service.db.upload import Upload, UploadStatus
from tests.load.tus import Acknowledged


@dataclass(frozen=True)
class PortalDownload:
    """What an outlet received for one portal download (hashed as it arrived)."""

    asset_id: str
    rendition: str
    sha256: str
    crc32: int
    size: int


@dataclass
class Audit:
    acknowledged: int = 0
    found: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged uploads with no asset
    corrupt: list[str] = field(default_factory=list)  # stored original's sha256/size differs from what was sent
    wrong_sha_column: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # one upload (sha256) became several unlinked assets
    linked_duplicates: int = 0  # a client re-sent a file after losing the reply: the server linked it (exact_of)
    unacknowledged_assets: int = 0  # completed on the server but the reply was lost (found by sha256)
    unexpected_assets: list[str] = field(default_factory=list)  # not a file any client sent, or stored corrupt
    refused_but_stored: list[str] = field(default_factory=list)  # a client was refused, the server kept the file
    portal_downloads: int = 0
    portal_corrupt: list[str] = field(default_factory=list)  # a download differs from the server's tagged copy
    orphan_uploads: list[str] = field(default_factory=list)  # ``active`` rows left after the run (hold quota)
    leaked_uploads: list[str] = field(default_factory=list)  # multipart or tails left by a finished upload
    backlog_steps: int = 0  # steps still queued/running when the drain bound passed (not stuck)
    stuck_jobs: list[str] = field(default_factory=list)
    duplicate_renditions: list[str] = field(default_factory=list)
    orphan_objects: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    renditions: int = 0

    @property
    def clean(self) -> bool:
        """Nothing lost, corrupted, duplicated, stuck or leaked (a backlog alone does not spoil it)."""
        return not (self.lost or self.corrupt or self.duplicated or self.stuck_jobs or self.duplicate_renditions
                    or self.unexpected_assets or self.refused_but_stored or self.portal_corrupt
                    or self.leaked_uploads)


def _sha256_of_object(key: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in get_storage().iter_object(key):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def audit(campaign_id: uuid.UUID, acks: list[Acknowledged], check_objects: bool = True, *, drained: bool = True,
          attempted: dict[str, str] | None = None, refused: dict[str, str] | None = None,
          downloads: list[PortalDownload] | None = None) -> Audit:
    """``attempted``/``refused``: sha256 → file name of every file a client started / was refused for good;
    ``downloads``: what the outlets received through the portal."""
    report = Audit(acknowledged=len(acks))
    attempted, refused = attempted or {}, refused or {}
    with session_scope() as session:
        assets = session.scalars(select(Asset).where(Asset.campaign_id == campaign_id)).all()
        by_id = {str(a.id): a for a in assets}
        by_sha: dict[str, list[Asset]] = {}
        for asset in assets:
            sha = asset.sha256 or asset.declared_sha256
            if sha:
                by_sha.setdefault(sha, []).append(asset)
        report.statuses = Counter(a.status.value for a in assets)
        report.reasons = Counter(a.reason_code for a in assets if a.reason_code)
        matched: set[str] = set()
        for ack in acks:
            asset = by_id.get(ack.asset_id or "") or next(iter(by_sha.get(ack.sha256, [])), None)
            if asset is None:
                report.lost.append(f"{ack.filename} ({ack.asset_id or 'no id'})")
                continue
            report.found += 1
            matched.add(str(asset.id))
            twins = by_sha.get(ack.sha256, [])
            if len(twins) > 1:
                first = min(twins, key=lambda a: a.created_at)
                if all(a.exact_of is not None for a in twins if a is not first):
                    report.linked_duplicates += 1
                else:
                    report.duplicated.append(f"{ack.filename}: {[str(a.id) for a in twins]}")
            if asset.sha256 is not None and asset.sha256 != ack.sha256:
                report.wrong_sha_column.append(f"{asset.id}: {asset.sha256} != {ack.sha256}")
            if check_objects:
                stored_sha, stored_size = _sha256_of_object(asset.original_key)
                if stored_sha != ack.sha256 or stored_size != ack.size:
                    report.corrupt.append(f"{asset.id} {ack.filename}: {stored_size} bytes, {stored_sha[:12]}…")
        unmatched = [by_id[i] for i in set(by_id) - matched]
        report.unacknowledged_assets = len(unmatched)
        for asset in unmatched:
            sha = asset.declared_sha256 or asset.sha256 or ""
            if sha in refused:
                report.refused_but_stored.append(f"{refused[sha]}: asset {asset.id}")
            elif attempted and sha not in attempted:
                report.unexpected_assets.append(f"{asset.id} {asset.original_filename}: no client sent {sha[:12]}…")
            elif check_objects and asset.sha256 is not None and _sha256_of_object(asset.original_key)[0] != sha:
                report.unexpected_assets.append(f"{asset.id} {asset.original_filename}: stored bytes differ")
        _audit_uploads(session, campaign_id, report)
        _audit_downloads(session, downloads or [], report)
        ids = [a.id for a in assets]
        if ids:
            open_jobs = session.execute(
                select(Job.asset_id, Job.step, Job.status, Job.heartbeat_at).where(
                    Job.asset_id.in_(ids), Job.status.in_((JobStatus.queued, JobStatus.running)))
            ).all()
            # Five missed beats make a job stale for the sweeper; twice that and it should long have been re-sent.
            stale = datetime.now(UTC) - timedelta(seconds=10 * get_settings().worker_heartbeat_seconds)
            report.stuck_jobs = [f"{asset_id} {step} {status.value}" for asset_id, step, status, beat in open_jobs
                                 if drained or (status == JobStatus.running and (beat is None or beat < stale))]
            report.backlog_steps = 0 if drained else len(open_jobs) - len(report.stuck_jobs)
            dupes = session.execute(
                select(Rendition.asset_id, Rendition.name, func.count()).where(Rendition.asset_id.in_(ids))
                .group_by(Rendition.asset_id, Rendition.name).having(func.count() > 1)
            ).all()
            report.duplicate_renditions = [f"{a} {n} ×{c}" for a, n, c in dupes]
            rows = session.execute(select(Rendition.asset_id, Rendition.key).where(Rendition.asset_id.in_(ids))).all()
            report.renditions = len(rows)
            if check_objects:
                known = {key for _, key in rows}
                with_renditions = {asset_id for asset_id, _ in rows}
                for asset_id in with_renditions:
                    for key in get_storage().list_keys(f"derived/{asset_id}/"):
                        if key not in known and not key.startswith(f"derived/{asset_id}/hls/"):
                            report.orphan_objects.append(key)
    return report


def _multipart_open(key: str, upload_id: str) -> bool:
    storage = get_storage()
    try:
        storage.client._list_parts(storage.bucket, key, upload_id)
    except S3Error as exc:
        if exc.code in ("NoSuchUpload", "NoSuchKey"):
            return False
        raise
    return True


def _audit_uploads(session: Session, campaign_id: uuid.UUID, report: Audit) -> None:
    """Active rows left after the run hold quota until they expire; a finished upload must have left nothing."""
    rows = session.scalars(select(Upload).join(Submission, Submission.id == Upload.submission_id)
                           .where(Submission.campaign_id == campaign_id)).all()
    storage = get_storage()
    for upload in rows:
        if upload.status == UploadStatus.active:
            report.orphan_uploads.append(f"{upload.id} {upload.original_filename}: {upload.offset}/{upload.length}")
            continue
        if upload.status != UploadStatus.completed and _multipart_open(upload.s3_key, upload.s3_upload_id):
            report.leaked_uploads.append(f"{upload.id} ({upload.status.value}): S3 multipart still open")
        if tails := storage.list_keys(f"uploads/{upload.id}/"):
            report.leaked_uploads.append(f"{upload.id} ({upload.status.value}): {len(tails)} tail object(s)")


def _audit_downloads(session: Session, downloads: list[PortalDownload], report: Audit) -> None:
    """Each portal download against the tagged copy the server holds for it (and the CRC-32 it recorded)."""
    report.portal_downloads = len(downloads)
    copies: dict[tuple[str, str], tuple[str, int, int | None] | None] = {}
    for item in downloads:
        slot = (item.asset_id, item.rendition)
        if slot not in copies:
            row = session.scalar(select(DeliveryFile).where(DeliveryFile.asset_id == uuid.UUID(item.asset_id),
                                                            DeliveryFile.rendition == item.rendition))
            copies[slot] = (_sha256_of_object(row.key)[0], row.size, row.crc32) if row is not None else None
        copy = copies[slot]
        if copy is None:
            report.portal_corrupt.append(f"{item.asset_id} {item.rendition}: downloaded, but no tagged copy exists")
        elif (item.sha256, item.size) != copy[:2] or (copy[2] is not None and copy[2] != item.crc32):
            report.portal_corrupt.append(f"{item.asset_id} {item.rendition}: {item.size} bytes {item.sha256[:12]}… "
                                         f"!= tagged copy {copy[1]} bytes {copy[0][:12]}…")
