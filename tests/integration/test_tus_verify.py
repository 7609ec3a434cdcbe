"""The ``verify`` step and the expiry task: idempotent, and they re-check what the API could not."""

from __future__ import annotations

import hashlib
import time
import uuid

import httpx
import pytest

from service.core.db import session_scope
from service.core.storage import get_storage
from service.core.tasks import send_now
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Role
from tests import media_samples as media
from tests.support import make_actor, make_campaign, make_submission, media_bytes, tus_metadata, wait_for_asset


def upload(http: httpx.Client, headers: dict[str, str], submission: uuid.UUID, data: bytes) -> str:
    created = http.post("/api/v1/uploads", content=data, headers={
        **headers, "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
        "Upload-Length": str(len(data)), "Upload-Metadata": tus_metadata(submission_id=str(submission),
                                                                         filename="v.jpg")})
    assert created.status_code == 201, created.text
    return created.headers["x-asset-id"]


def snapshot(asset_id: str) -> tuple[object, ...]:
    with session_scope() as session:
        asset = session.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        jobs = sorted((j.step, j.status.value, j.attempts) for j in session.query(Job).filter(Job.asset_id == asset.id))
        return asset.status, asset.sha256, asset.exact_of, asset.mime, tuple(jobs)


def test_verify_twice_changes_nothing(http: httpx.Client, worker: object) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    data = media.image_bytes("JPEG", 640, 480)
    asset_id = upload(http, alice.headers, submission, data)
    asset = wait_for_asset(http, asset_id, alice.headers, {"ready", "rejected_invalid", "failed"}, timeout=240)
    assert asset["status"] == "ready", asset["reason"]
    assert asset["sha256"] == hashlib.sha256(data).hexdigest()
    before = snapshot(asset_id)
    send_now("pipeline.verify", asset_id, queue="ingest")  # a duplicate delivery, as after a broker redelivery
    time.sleep(0.5)  # not an assertion on time: give the worker a chance to (wrongly) act
    other = upload(http, alice.headers, submission, media_bytes(1000, seed=32))  # FIFO: done after the duplicate
    wait_for_asset(http, other, alice.headers, {"ready", "rejected_invalid", "failed"}, timeout=240)
    assert snapshot(asset_id) == before
    prefix = f"originals/{asset['campaign_id']}/{asset['org_id']}/{asset_id}/"
    assert get_storage().list_keys(prefix) == [f"{prefix}v.jpg"]


def test_verify_rechecks_the_stored_bytes(http: httpx.Client, servers: object) -> None:
    """Run in-process: the original was replaced behind the API's back by something that is not a photo."""
    from workers.pipeline import Rejected
    from workers.steps.verify import verify

    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    data = media_bytes(5000, seed=33)
    asset_id = upload(http, alice.headers, submission, data)
    with session_scope() as session:
        asset = session.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        job = Job(asset_id=asset.id, step="verify-test", status=JobStatus.running)
        verify(session, asset, job)
        first = (asset.sha256, asset.exact_of)
        verify(session, asset, job)
        assert (asset.sha256, asset.exact_of) == first  # idempotent in-process too
        get_storage().put_bytes(asset.original_key, b"PK\x03\x04" + b"\x00" * 4996)
        with pytest.raises(Rejected) as caught:
            verify(session, asset, job)
        assert caught.value.code == "unsupported_format"  # the asset reason code probe uses too (one sniffer)
        get_storage().put_bytes(asset.original_key, data[:-1])
        with pytest.raises(Rejected) as caught:
            verify(session, asset, job)
        assert caught.value.code == "size_mismatch"
        session.rollback()
