"""Rendition API (list, presigned redirect, streaming, HLS files), the editor's retry, and idempotent steps."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from service.core.db import session_scope
from service.core.storage import get_storage
from service.core.tasks import producer
from service.db.asset import Asset, AssetStatus, Job, JobStatus, Rendition
from service.db.org import Role
from tests import media_samples as media
from tests.integration.pipeline_checks import IMAGE_RENDITIONS, VIDEO_RENDITIONS, derived_keys, wait_terminal
from tests.support import SMALL_MEDIA_LIMITS, ChildProcess, make_actor, make_asset, make_campaign, wait_until

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def ready_assets(worker: ChildProcess) -> dict[str, object]:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    photo = make_asset(alice, campaign, media.image_bytes("JPEG", 640, 480), "照片.jpg")
    clip = make_asset(alice, campaign, media.video_bytes("mp4", 480, 270, seconds=2.5), "clip.mp4")
    rows = wait_terminal([photo, clip])
    assert {r["status"] for r in rows.values()} == {"ready"}, rows
    return {"alice": alice, "campaign": campaign, "photo": photo, "clip": clip}


def _objects(asset_id: uuid.UUID) -> dict[str, int | None]:
    storage = get_storage()
    return {key: storage.stat_size(key) for key in derived_keys(asset_id)}


def _rows(asset_id: uuid.UUID) -> dict[str, uuid.UUID]:
    with session_scope() as session:
        return {r.name: r.id for r in session.scalars(select(Rendition).where(Rendition.asset_id == asset_id))}


def test_list_and_fetch_renditions(ready_assets: dict[str, object], client: TestClient) -> None:
    alice, photo, clip = ready_assets["alice"], ready_assets["photo"], ready_assets["clip"]
    headers = alice.headers  # type: ignore[attr-defined]
    listed = client.get(f"/api/v1/assets/{photo}/renditions", headers=headers)
    assert listed.status_code == 200
    assert {r["name"] for r in listed.json()} == IMAGE_RENDITIONS
    thumb = next(r for r in listed.json() if r["name"] == "thumb")
    assert (thumb["width"], thumb["height"]) == (320, 240)
    assert thumb["mime"] == "image/jpeg"
    assert {r["name"] for r in client.get(f"/api/v1/assets/{clip}/renditions", headers=headers).json()} \
        == VIDEO_RENDITIONS

    redirect = client.get(f"/api/v1/assets/{photo}/renditions/thumb", headers=headers, follow_redirects=False)
    assert redirect.status_code == 307
    assert "X-Amz-Expires=" in redirect.headers["location"]
    downloaded = httpx.get(redirect.headers["location"], timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.content[:3] == b"\xff\xd8\xff"
    streamed = client.get(f"/api/v1/assets/{photo}/renditions/thumb?stream=1", headers=headers)
    assert streamed.status_code == 200
    assert streamed.content == downloaded.content

    missing = client.get(f"/api/v1/assets/{photo}/renditions/huge", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "rendition_not_found"
    stranger = make_actor(Role.submitter)
    assert client.get(f"/api/v1/assets/{photo}/renditions", headers=stranger.headers).status_code == 404
    assert client.get(f"/api/v1/assets/{photo}/renditions/thumb", headers=stranger.headers).status_code == 404


def test_hls_preview_is_playable_through_the_api(ready_assets: dict[str, object], client: TestClient) -> None:
    alice, clip = ready_assets["alice"], ready_assets["clip"]
    headers = alice.headers  # type: ignore[attr-defined]
    master = client.get(f"/api/v1/assets/{clip}/renditions/hls", headers=headers)
    assert master.status_code == 200
    assert master.text.startswith("#EXTM3U")
    variants = [line for line in master.text.splitlines() if line.endswith(".m3u8")]
    assert variants == ["270p.m3u8"]  # 480×270 source: one variant, nothing upscaled
    playlist = client.get(f"/api/v1/assets/{clip}/hls/{variants[0]}", headers=headers)
    segments = [line for line in playlist.text.splitlines() if line.endswith(".ts")]
    assert playlist.status_code == 200
    assert segments
    segment = client.get(f"/api/v1/assets/{clip}/hls/{segments[0]}", headers=headers)
    assert segment.status_code == 200
    assert segment.content[:1] == b"\x47"
    assert client.get(f"/api/v1/assets/{clip}/hls/..%2Fproxy_720p.mp4", headers=headers).status_code == 404


def test_same_step_run_twice_gives_the_same_objects(ready_assets: dict[str, object], worker: ChildProcess) -> None:
    import workers.pipeline as pipeline

    for asset_id in (ready_assets["photo"], ready_assets["clip"]):
        assert isinstance(asset_id, uuid.UUID)
        before_objects, before_rows = _objects(asset_id), _rows(asset_id)
        for step in ("probe", "derive"):  # the step bodies themselves, as a redelivered task would run them
            with session_scope() as session:
                asset = session.get(Asset, asset_id)
                job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == step))
                assert asset is not None
                assert job is not None
                pipeline.STEPS[step].fn(session, asset, job)
        assert _objects(asset_id).keys() == before_objects.keys()
        assert _rows(asset_id) == before_rows  # same rows (upserted), no duplicates
    # And a duplicate delivery of a finished step is skipped by its guard.
    photo = ready_assets["photo"]
    sent = producer().send_task("pipeline.derive", args=[str(photo)], queue="media")
    wait_until(lambda: f"pipeline.derive[{sent.id}] succeeded" in worker.log(), 120, 0.5, "the duplicate delivery")
    with session_scope() as session:
        job = session.scalar(select(Job).where(Job.asset_id == photo, Job.step == "derive"))
        assert job is not None
        assert job.attempts == 1


def test_editor_retries_a_failed_asset(ready_assets: dict[str, object], client: TestClient) -> None:
    alice = ready_assets["alice"]
    asset_id = make_asset(alice, ready_assets["campaign"], media.image_bytes("PNG", 400, 300), "retry.png")  # type: ignore[arg-type]
    assert wait_terminal([asset_id])[asset_id]["status"] == "ready"
    editor = make_actor(Role.editor)
    not_failed = client.post(f"/api/v1/assets/{asset_id}/retry", headers=editor.headers)
    assert not_failed.status_code == 409
    assert not_failed.json()["code"] == "not_retryable"
    with session_scope() as session:  # as the pipeline leaves an asset whose derive gave up
        session.execute(update(Asset).where(Asset.id == asset_id).values(
            status=AssetStatus.failed, reason_code="transient_error", reason_detail="x / x"))
        session.execute(update(Job).where(Job.asset_id == asset_id, Job.step == "derive").values(
            status=JobStatus.failed))
        session.execute(Rendition.__table__.delete().where(Rendition.asset_id == asset_id))
    denied = client.post(f"/api/v1/assets/{asset_id}/retry", headers=alice.headers)  # type: ignore[attr-defined]
    assert denied.status_code == 403
    retried = client.post(f"/api/v1/assets/{asset_id}/retry", headers=editor.headers)
    assert retried.status_code == 202, retried.text
    assert retried.json()["step"] == "derive"
    row = wait_until(lambda: (r := wait_terminal([asset_id])[asset_id]) and r["status"] == "ready" and r, 120)
    assert set(row["renditions"]) == IMAGE_RENDITIONS
    assert row["reason_code"] is None
    assert len(derived_keys(asset_id)) == len(IMAGE_RENDITIONS)
