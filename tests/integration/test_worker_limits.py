"""A real worker: its broker redelivery timeout is derived from its tasks' limits (not a number kept beside them),
and a pool process killed mid-step leaves no scratch folder behind."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from celery import Celery

from service.core.config import get_settings
from service.core.queues import REDELIVERY_MARGIN_SECONDS
from service.db.org import Role
from tests import media_samples as media
from tests.integration.pipeline_checks import wait_terminal
from tests.support import SMALL_MEDIA_LIMITS, ChildProcess, make_actor, make_asset, make_campaign, wait_until
from workers.scratch import scratch_root


def test_a_running_worker_waits_longer_than_its_longest_task_before_redelivery(worker: ChildProcess) -> None:
    control = Celery("inspect", broker=get_settings().redis_url)
    replies = wait_until(lambda: control.control.inspect(timeout=3).conf(), 60, 1, "the worker to answer")
    conf = next(iter(replies.values()))
    registered = wait_until(lambda: control.control.inspect(timeout=3).registered(), 30, 1, "its task list")
    assert "portal.build_package" in next(iter(registered.values()))
    timeout = conf["broker_transport_options"]["visibility_timeout"]
    from workers.packages import build_package

    assert build_package.time_limit >= 4 * 3600  # the longest task: ZIP packages of up to 10 GiB
    assert timeout == build_package.time_limit + REDELIVERY_MARGIN_SECONDS


def _derive_scratch_of_a_pool_child(parent: int) -> tuple[int, Path] | None:
    """(pid, folder) of a ``mediadesk-derive-<pid>…`` scratch folder owned by a pool process of ``parent``."""
    for folder in scratch_root().glob("mediadesk-derive-*"):
        pid = int(folder.name.split("-")[2].split(".")[0])
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid == parent:
            return pid, folder
    return None


@pytest.mark.timeout(600)
def test_a_pool_process_killed_alone_leaves_no_scratch_behind(worker: ChildProcess) -> None:
    """The OOM killer takes one pool process mid-transcode: Celery starts another, which clears its folder."""
    assert worker.proc is not None
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    asset_id = make_asset(alice, campaign, media.video_bytes("mp4", 960, 540, seconds=12, rate=30), "take.mp4")
    pid, folder = wait_until(lambda: _derive_scratch_of_a_pool_child(worker.proc.pid), 240, 0.1,  # type: ignore[union-attr]
                             "a pool process to start deriving")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not folder.exists(), 60, 0.5, "the replacement pool process to remove the orphaned folder")
    time.sleep(1.5)
    from workers.pipeline import sweep

    sweep(stale_seconds=1)  # the killed step's heartbeat stopped: re-send it (beat does this every minute)
    row = wait_terminal([asset_id], 300)[asset_id]
    assert row["status"] == "ready", row
