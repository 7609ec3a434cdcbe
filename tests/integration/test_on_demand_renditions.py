"""Videos get their broadcast rendition on demand (issue 15.5): not at upload, but when an editor features the video
or an outlet asks for it; keyframes are extracted once at derive and read back by screen and dedupe."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Role
from tests import media_samples as media
from tests.integration.pipeline_checks import VIDEO_RENDITIONS, asset_row, derived_keys, video_facts, wait_terminal
from tests.integration.portal_support import desk, release, released_asset
from tests.support import SMALL_MEDIA_LIMITS, ChildProcess, make_actor, make_asset, make_campaign, wait_until

pytestmark = pytest.mark.timeout(600)


def _job(asset_id: uuid.UUID, step: str) -> Job | None:
    with session_scope() as session:
        job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == step))
        if job is not None:
            session.expunge(job)
        return job


def _broadcast_made(asset_id: uuid.UUID) -> bool:
    return "broadcast_1080p" in asset_row(asset_id)["renditions"]  # type: ignore[operator]


def test_upload_makes_no_broadcast_and_featuring_makes_it(worker: ChildProcess, client: TestClient) -> None:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    clip = make_asset(alice, campaign, media.video_bytes("mp4", 640, 360, seconds=5), "activity.mp4")
    photo = make_asset(alice, campaign, media.image_bytes("JPEG", 640, 480), "photo.jpg")
    rows = wait_terminal([clip, photo])
    assert rows[clip]["status"] == "ready", rows[clip]
    assert set(rows[clip]["renditions"]) == VIDEO_RENDITIONS  # type: ignore[arg-type]
    assert "broadcast_1080p" not in rows[clip]["renditions"]  # type: ignore[operator]
    assert not any(k.endswith("broadcast_1080p.mp4") for k in derived_keys(clip))

    # The keyframes were extracted once and stored; screen and dedupe read them instead of decoding the video.
    index = json.loads(get_storage().get_bytes(f"derived/{clip}/frames/index.json"))
    assert len(index["keyframes"]) >= 3  # 5 s: one every 2 s plus the opening scene
    assert all(get_storage().exists(entry["key"]) for entry in index["keyframes"])
    with session_scope() as session:
        jobs = session.execute(select(Job.step, Job.status, Job.cpu_seconds).where(Job.asset_id == clip)).all()
    assert {step: status for step, status, _ in jobs}["dedupe"] == JobStatus.done
    assert all(cpu is not None and cpu >= 0 for _, _, cpu in jobs)  # every step's CPU time is on its job row
    # Reading the keyframes back needs no video: with the proxy gone they still come from the stored frames.
    from workers.media_input import load_keyframes

    get_storage().delete(f"derived/{clip}/proxy_720p.mp4")
    with session_scope() as session:
        asset = session.get(Asset, clip)
        assert asset is not None
        analysis = load_keyframes(session, asset, uniform_every=2.0, max_keyframes=120)
    assert len(analysis.keyframes) == len(index["keyframes"])
    assert analysis.luma  # the quality statistics travel with them
    assert max(analysis.keyframes[0].image.size) <= 960

    editor = make_actor(Role.editor)
    for asset_id in (clip, photo):
        version = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()["version"]
        decided = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                              json={"action": "feature", "version": version})
        assert decided.status_code == 200, decided.text
    wait_until(lambda: _broadcast_made(clip), 240, 1.0, "the broadcast rendition after featuring")
    facts = video_facts(f"derived/{clip}/broadcast_1080p.mp4")
    assert (facts["width"], facts["height"]) == (640, 360)  # never upscaled
    job = _job(clip, "broadcast_1080p")
    assert job is not None
    assert job.status == JobStatus.done
    assert job.attempts == 1
    assert _job(photo, "broadcast_1080p") is None  # photos have no broadcast rendition


def test_outlet_asks_for_a_broadcast_rendition(worker: ChildProcess, client: TestClient) -> None:
    d = desk()
    asset = released_asset(d, kind="video", caption="技能大赛决赛现场", renditions=("proxy_720p",))
    release(client, d.editor, [asset])  # joining a collection asks for it too
    path = f"/api/v1/portal/assets/{asset}/renditions/broadcast_1080p"
    first = client.get(path, headers=d.outlet.headers, follow_redirects=False)
    assert first.status_code in (202, 307), first.text
    if first.status_code == 202:
        assert first.json()["status"] in ("rendering", "preparing")
        assert first.headers["Retry-After"]

    def delivered() -> bool:
        response = client.get(path, headers=d.outlet.headers, follow_redirects=False)
        assert response.status_code in (202, 307), response.text
        return response.status_code == 307

    wait_until(delivered, 240, 1.0, "the outlet's broadcast download")
    job = _job(asset, "broadcast_1080p")
    assert job is not None
    assert job.status == JobStatus.done
    assert job.attempts == 1  # repeated requests while it was being made did not start it again
    listed = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()
    assert "broadcast_1080p" in json.dumps(listed)
