"""Faults the pipeline must survive without losing an asset: a worker SIGKILLed in the middle of a transcode, and
the broker (Redis) restarted while assets are in flight."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.asset import Job, JobStatus
from service.db.org import Role
from tests import media_samples as media
from tests.integration.pipeline_checks import VIDEO_RENDITIONS, derived_keys, wait_terminal
from tests.support import SMALL_MEDIA_LIMITS, ChildProcess, make_actor, make_asset, make_campaign, wait_until

pytestmark = pytest.mark.timeout(900)


def _job(asset_id: uuid.UUID, step: str) -> Job | None:
    with session_scope() as session:
        return session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == step))


def _sweep(**thresholds: int) -> dict[str, int]:
    from workers.pipeline import sweep

    result: dict[str, int] = sweep(**thresholds)
    return result


def _transcoding_ffmpeg() -> tuple[int, Path] | None:
    """(pid, scratch folder) of an ffmpeg process started by a derive step, if one is running."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        folder = next((a.decode() for a in argv if b"/mediadesk-derive-" in a), None)
        if proc.name.isdigit() and argv and b"ffmpeg" in argv[0] and folder:
            scratch = Path(folder)
            while not scratch.name.startswith("mediadesk-derive-"):
                scratch = scratch.parent
            return int(proc.name), scratch
    return None


def _expected_keys(asset_id: uuid.UUID) -> set[str]:
    names = {"proxy_720p.mp4", "poster.jpg", "sprite.jpg", "sprite.vtt", "sprite.json"}
    return {f"derived/{asset_id}/{name}" for name in names}


def test_worker_killed_mid_transcode_recovers_with_one_set(worker: ChildProcess) -> None:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    clip = media.video_bytes("mp4", 960, 540, seconds=12, rate=30)
    asset_id = make_asset(alice, campaign, clip, "long-take.mp4")
    running = wait_until(lambda: (job := _job(asset_id, "derive")) and job.status == JobStatus.running and job, 180,
                         0.1, "the derive step to start")
    encoder = wait_until(_transcoding_ffmpeg, 120, 0.1, "ffmpeg to be transcoding")
    worker.kill()  # SIGKILL to the worker's process group, mid-transcode
    wait_until(lambda: not Path(f"/proc/{encoder[0]}").exists(), 30, 0.2, "ffmpeg to die with its worker")
    killed_job = _job(asset_id, "derive")
    assert killed_job is not None
    assert killed_job.status == JobStatus.running
    assert encoder[1].exists()  # the killed step could not clean up its scratch folder…
    worker.start()  # a fresh worker; the broker still holds the unacked message until its visibility timeout
    wait_until(lambda: not encoder[1].exists(), 60, 0.5, "the new worker to remove the orphaned scratch folder")
    time.sleep(1.5)
    assert _sweep(stale_seconds=1)["stale"] >= 1  # the sweeper notices the dead heartbeat and re-sends the step
    row = wait_terminal([asset_id], 300)[asset_id]
    assert row["status"] == "ready", row
    assert set(row["renditions"]) == VIDEO_RENDITIONS  # type: ignore[arg-type]
    keys = set(derived_keys(asset_id))
    assert {k for k in keys if "/hls/" not in k and "/frames/" not in k} == _expected_keys(asset_id)  # one set
    assert f"derived/{asset_id}/hls/master.m3u8" in keys
    assert f"derived/{asset_id}/frames/index.json" in keys
    job = _job(asset_id, "derive")
    assert job is not None
    assert job.attempts >= 2
    assert running.attempts == 1


def test_redis_restart_leaves_no_asset_stuck(worker: ChildProcess, servers: EmbeddedServers) -> None:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    busy = make_asset(alice, campaign, media.video_bytes("mp4", 640, 360, seconds=6), "busy.mp4")
    wait_until(lambda: (job := _job(busy, "derive")) and job.status == JobStatus.running, 180, 0.1,
               "a transcode in flight")
    servers.redis.stop()
    # Uploads keep landing while the broker is down: the row is committed, the send fails and is logged.
    during = [make_asset(alice, campaign, media.image_bytes("JPEG"), f"during-{i}.jpg") for i in range(3)]
    servers.redis.start()
    ids = [busy, *during]

    def settled() -> bool:
        _sweep(stale_seconds=90, queued_seconds=3)  # what beat does every minute, with short thresholds
        rows = wait_terminal(ids, 1) if _all_terminal(ids) else None
        return bool(rows)

    wait_until(settled, 300, 3.0, "every asset to finish after the Redis restart")
    rows = wait_terminal(ids)
    assert {row["status"] for row in rows.values()} == {"ready"}, rows
    assert worker.proc is not None
    assert worker.proc.poll() is None


def _all_terminal(ids: list[uuid.UUID]) -> bool:
    from tests.integration.pipeline_checks import TERMINAL, asset_row

    return all(asset_row(i)["status"] in TERMINAL for i in ids)
