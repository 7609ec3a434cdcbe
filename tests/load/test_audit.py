"""The load audit can fail: each check against real rows and objects (session servers), and ``--backlog-ok`` has
effect (a backlog alone is not a dirty audit; a stale running step still is)."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.core.security import Principal
from service.core.storage import get_storage
from service.db.asset import Job, JobStatus
from service.db.org import Role
from service.db.portal import DeliveryFile
from service.ingest import uploads
from service.ingest.tus_protocol import UploadMetadata
from tests.load.__main__ import exit_code
from tests.load.audit import PortalDownload, audit
from tests.load.tus import Acknowledged
from tests.support import Actor, make_actor, make_asset, make_campaign, make_submission


def _ack(asset_id: uuid.UUID, data: bytes) -> Acknowledged:
    return Acknowledged(str(asset_id), hashlib.sha256(data).hexdigest(), len(data), "a.jpg", "image", "/x")


def _job(asset_id: uuid.UUID, status: JobStatus, beat_age: float = 0) -> None:
    with session_scope() as session:
        session.add(Job(asset_id=asset_id, step="probe", status=status,
                        heartbeat_at=datetime.now(UTC) - timedelta(seconds=beat_age)))


def _upload(actor: Actor, submission: uuid.UUID) -> uuid.UUID:
    principal = Principal(actor.user_id, actor.username, actor.role, actor.org_id)
    with session_scope() as session:
        meta = UploadMetadata(str(submission), "orphan.jpg", None, None, {})
        return uploads.create_upload(session, principal=principal, meta=meta, length=10).id


def test_a_backlog_is_clean_with_backlog_ok_and_a_stale_step_is_stuck(servers: EmbeddedServers) -> None:
    actor, campaign = make_actor(Role.submitter), make_campaign()
    queued_data, running_data = b"queued photo bytes", b"running photo bytes"
    queued = make_asset(actor, campaign, queued_data, "q.jpg", queue=False)
    running = make_asset(actor, campaign, running_data, "r.jpg", queue=False)
    _job(queued, JobStatus.queued)
    _job(running, JobStatus.running, beat_age=5)
    acks = [_ack(queued, queued_data), _ack(running, running_data)]

    backlog = audit(campaign, acks, drained=False)
    assert backlog.clean, vars(backlog)
    assert (backlog.backlog_steps, backlog.stuck_jobs) == (2, [])
    assert exit_code(backlog, drained=False, backlog_ok=True) == 0
    assert exit_code(backlog, drained=False, backlog_ok=False) == 1

    drained = audit(campaign, acks, drained=True)  # "drained" yet steps open: those are stuck
    assert len(drained.stuck_jobs) == 2
    assert exit_code(drained, drained=True, backlog_ok=True) == 1

    with session_scope() as session:
        job = session.query(Job).filter(Job.asset_id == running).one()
        job.heartbeat_at = datetime.now(UTC) - timedelta(hours=1)
    stale = audit(campaign, acks, drained=False)
    assert [s.split()[0] for s in stale.stuck_jobs] == [str(running)]
    assert exit_code(stale, drained=False, backlog_ok=True) == 1


def test_refused_unacknowledged_and_stray_assets_are_checked(servers: EmbeddedServers) -> None:
    actor, campaign = make_actor(Role.submitter), make_campaign()
    sent, refused, stray = b"acknowledged bytes", b"refused bytes", b"bytes nobody sent"
    acked = make_asset(actor, campaign, sent, "a.jpg", queue=False)
    make_asset(actor, campaign, refused, "refused.jpg", queue=False)
    make_asset(actor, campaign, stray, "stray.jpg", queue=False)
    sha = {name: hashlib.sha256(data).hexdigest() for name, data in
           (("sent", sent), ("refused", refused), ("stray", stray))}
    report = audit(campaign, [_ack(acked, sent)], attempted={sha["sent"]: "a.jpg", sha["refused"]: "refused.jpg"},
                   refused={sha["refused"]: "refused.jpg"})
    assert report.unacknowledged_assets == 2
    assert [r.split(":")[0] for r in report.refused_but_stored] == ["refused.jpg"]
    assert len(report.unexpected_assets) == 1
    assert "stray.jpg" in report.unexpected_assets[0]
    assert not report.clean


def test_orphan_and_leaked_uploads_are_found(servers: EmbeddedServers) -> None:
    actor, campaign = make_actor(Role.submitter), make_campaign()
    submission = make_submission(actor, campaign)
    orphan = _upload(actor, submission)
    clean_report = audit(campaign, [])
    assert [o.split()[0] for o in clean_report.orphan_uploads] == [str(orphan)]
    assert clean_report.clean  # an active row expires on its own: reported, not a fault
    leaked = _upload(actor, submission)
    with session_scope() as session:  # marked aborted but its multipart never aborted, a tail left behind
        from service.db.upload import Upload, UploadStatus

        row = session.get(Upload, leaked)
        assert row is not None
        row.status = UploadStatus.aborted
    get_storage().put_bytes(f"uploads/{leaked}/tail-3-x", b"abc")
    report = audit(campaign, [])
    assert len([item for item in report.leaked_uploads if str(leaked) in item]) == 2, report.leaked_uploads
    assert not report.clean
    uploads.abandon(orphan, uploads.UploadStatus.aborted)


def test_portal_downloads_are_hashed_against_the_tagged_copy(servers: EmbeddedServers) -> None:
    actor, campaign = make_actor(Role.submitter), make_campaign()
    asset = make_asset(actor, campaign, b"original", "o.jpg", queue=False)
    tagged = b"original with a caption written in"
    key = f"delivery/{asset}/original.jpg"
    get_storage().put_bytes(key, tagged)
    with session_scope() as session:
        session.add(DeliveryFile(asset_id=asset, rendition="original", key=key, mime="image/jpeg", size=len(tagged),
                                 meta_digest="x" * 64, crc32=zlib.crc32(tagged)))

    def received(data: bytes) -> PortalDownload:
        return PortalDownload(str(asset), "original", hashlib.sha256(data).hexdigest(), zlib.crc32(data), len(data))

    assert audit(campaign, [], downloads=[received(tagged)]).portal_corrupt == []
    bad = audit(campaign, [], downloads=[received(tagged), received(tagged[:-1] + b"!")])
    assert bad.portal_downloads == 2
    assert len(bad.portal_corrupt) == 1
    assert not bad.clean
