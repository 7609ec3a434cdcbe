"""Scale-out on one machine: 2 API processes and worker nodes on separate queues share one Redis / PostgreSQL / S3.

A mixed batch (photos, PNGs, videos, broken files) goes through while the node running a step is killed with
SIGKILL; a replacement node starts, the sweeper re-sends the orphaned step, and every asset reaches its terminal
state exactly once. Per-node work counts come from the ``job.worker`` column and from each node's /metrics.
``make cluster-demo`` runs this test with its table printed.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import imageio_ffmpeg
import pytest
from PIL import Image
from sqlalchemy import select

from service.cli.context import use_data_dir
from service.core.db import session_scope
from service.core.embedded import free_port
from service.db.asset import Job, JobStatus
from service.db.org import Role
from service.ops.metrics import QUEUES
from tests.integration.test_observability import scrape, value
from tests.support import (
    SMALL_MEDIA_LIMITS,
    ChildProcess,
    LiveAPI,
    beat_process,
    make_actor,
    make_asset,
    make_campaign,
    make_submission,
    wait_until,
    worker_process,
)

pytestmark = pytest.mark.slow

#: A Redis database of its own, so that a session-wide worker of other tests never takes this cluster's messages.
CLUSTER_REDIS_DB = 7
WORKER_APP = "workers.celery_app:app"


def _jpeg(seed: int) -> bytes:
    noise = random.Random(seed).randbytes(320 * 240 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (320, 240), noise).save(out, "JPEG", quality=80)
    return out.getvalue()


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (200, 200), random.Random(seed).randbytes(200 * 200 * 3)).save(out, "PNG")
    return out.getvalue()


def _mp4(pattern: str, seconds: int) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-nostdin",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"{pattern}=size=320x240:rate=10",
                "-t",
                str(seconds),
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                "libx264",
                str(path),
            ],
            check=True,
            timeout=60,
        )
        return path.read_bytes()


def mixed_batch() -> list[tuple[str, bytes, str]]:
    """(filename, bytes, expected terminal status)."""
    batch = [(f"photo-{i}.jpg", _jpeg(i), "ready") for i in range(8)]
    batch += [(f"poster-{i}.png", _png(100 + i), "ready") for i in range(2)]
    batch += [("clip-a.mp4", _mp4("testsrc", 3), "ready"), ("clip-b.mp4", _mp4("testsrc2", 4), "ready")]
    batch += [
        ("broken.jpg", os.urandom(4096), "rejected_invalid"),
        ("notes.mp4", b"just text\n" * 50, "rejected_invalid"),
    ]
    return batch


@pytest.fixture
def cluster_env(child_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    base_redis = child_env["MEDIADESK_REDIS_URL"].rsplit("/", 1)[0]
    env = {
        **child_env,
        "MEDIADESK_REDIS_URL": f"{base_redis}/{CLUSTER_REDIS_DB}",
        "MEDIADESK_WORKER_HEARTBEAT_SECONDS": "2",
        "MEDIADESK_SWEEPER_INTERVAL_SECONDS": "3",
        "MEDIADESK_METRICS_STATE_TTL_SECONDS": "0",
        "MEDIADESK_LOG_FORMAT": "json",
    }
    previous = os.environ["MEDIADESK_REDIS_URL"]
    os.environ["MEDIADESK_REDIS_URL"] = env["MEDIADESK_REDIS_URL"]  # this process enqueues into the cluster too
    use_data_dir(None)
    try:
        yield env
    finally:
        os.environ["MEDIADESK_REDIS_URL"] = previous
        use_data_dir(None)


class Node:
    """A worker node: its queues, hostname and metrics port."""

    def __init__(self, env: dict[str, str], logs: Path, hostname: str, queues: str) -> None:
        self.hostname, self.port = hostname, free_port()
        node_env = {
            **env,
            "MEDIADESK_WORKER_METRICS_PORT": str(self.port),
            "PROMETHEUS_MULTIPROC_DIR": str(logs / f"prom-{hostname}"),
        }
        self.proc: ChildProcess = worker_process(
            node_env, logs, queues, name=hostname.replace("@", "-"), hostname=hostname, app=WORKER_APP
        )

    def scrape(self) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10) as client:
            return scrape(client)


def _jobs(asset_ids: list[uuid.UUID]) -> list[Job]:
    with session_scope() as session:
        return list(session.scalars(select(Job).where(Job.asset_id.in_(asset_ids))))


def _target_queue() -> str:
    """The queue whose node gets killed: media when a media step is registered (the longest steps)."""
    from service.core.tasks import STEP_QUEUES
    from workers.pipeline import order

    return "media" if any(STEP_QUEUES[step] == "media" for step in order()) else "ingest"


def test_two_apis_and_worker_nodes_survive_a_killed_node(cluster_env: dict[str, str], tmp_path: Path) -> None:
    logs = tmp_path / "cluster"
    target = _target_queue()
    apis = [LiveAPI(cluster_env, logs) for _ in range(2)]
    nodes = {
        "ingest": Node(cluster_env, logs, "ingest@nodeA", "ingest,default"),
        "media": Node(cluster_env, logs, "media@nodeB", "media"),
        "ml": Node(cluster_env, logs, "ml@nodeC", "ml"),
    }
    replacement = Node(cluster_env, logs, f"{target}@nodeD", target)
    beat = beat_process(cluster_env, logs)
    started: list[ChildProcess] = []
    try:
        for process in [*apis, *(node.proc for node in nodes.values()), beat]:
            started.append(process.start())
        actor = make_actor(Role.submitter)
        campaign = make_campaign(**SMALL_MEDIA_LIMITS)  # the generated media are small on purpose
        submission = make_submission(actor, campaign, title="集群扩展测试")
        batch = mixed_batch()
        asset_ids = [
            make_asset(actor, campaign, data, name, submission_id=submission, first_step="verify")
            for name, data, _ in batch
        ]
        expected = {asset_id: status for asset_id, (_, _, status) in zip(asset_ids, batch, strict=True)}
        videos = {
            asset_id
            for asset_id, (name, _, status) in zip(asset_ids, batch, strict=True)
            if name.endswith(".mp4") and status == "ready"
        }

        # Kill the target node with SIGKILL while it runs a step of this batch, then start a replacement.
        victim = nodes[target]

        def running_on_victim() -> Job | None:
            on_victim = [job for job in _jobs(asset_ids) if job.worker == victim.hostname]
            if sum(job.status == JobStatus.done for job in on_victim) < 2:  # let it show some finished work first
                return None
            # A video's derive runs for seconds (several renditions), so the kill lands inside the step.
            return next((job for job in on_victim if job.status == JobStatus.running and job.asset_id in videos), None)

        killed = wait_until(running_on_victim, 120, 0.1, f"a step running on {victim.hostname} after 2 done")
        victim.proc.kill()
        orphan = next(job for job in _jobs(asset_ids) if job.id == killed.id)
        assert orphan.status == JobStatus.running, "the node finished its step before the kill; nothing was orphaned"
        started.append(replacement.proc.start())

        # Every asset reaches its terminal state, read through both API processes.
        clients = [httpx.Client(base_url=api.url, timeout=30) for api in apis]
        pick = cycle(clients)

        def all_terminal() -> dict[uuid.UUID, dict[str, object]] | None:
            bodies = {a: next(pick).get(f"/api/v1/assets/{a}", headers=actor.headers).json() for a in asset_ids}
            done = all(b["status"] in ("ready", "rejected_invalid", "failed") for b in bodies.values())
            return bodies if done else None

        bodies = wait_until(all_terminal, 600, 1.0, "every asset of the batch to reach a terminal state")
        assert {a: b["status"] for a, b in bodies.items()} == expected
        for asset_id, body in bodies.items():
            if expected[asset_id] == "rejected_invalid":
                assert body["reason"]["code"], "a rejection always carries its reason"

        # Exactly once: one job row per asset and step, all done; only the orphaned step ran twice.
        jobs = _jobs(asset_ids)
        assert len({(job.asset_id, job.step) for job in jobs}) == len(jobs)
        assert all(job.status == JobStatus.done for job in jobs)
        rerun = next(job for job in jobs if job.id == killed.id)
        assert rerun.attempts == 2
        assert rerun.worker == replacement.hostname
        assert [job.id for job in jobs if job.attempts != 1] == [killed.id]
        assert all(len({r["name"] for r in b["renditions"]}) == len(b["renditions"]) for b in bodies.values())

        per_node = Counter(job.worker for job in jobs)
        print("\nper-node work (job rows by worker):")  # noqa: T201 - `make cluster-demo` shows this table
        for worker, count in sorted(per_node.items()):
            steps = Counter(job.step for job in jobs if job.worker == worker)
            print(f"  {worker:<16} {count:>3}  {dict(steps)}")  # noqa: T201
        assert per_node[victim.hostname] >= 1
        assert per_node[replacement.hostname] >= 1
        assert per_node[nodes["ingest"].hostname] >= len(asset_ids)  # the first step of every asset

        # Worker logs are JSON lines carrying the asset and step of the task they were written in.
        from workers.pipeline import order

        ours = {str(a) for a in asset_ids}
        entries = [json.loads(line) for line in nodes["ingest"].proc.log().splitlines() if line.startswith("{")]
        assert any(e.get("asset_id") in ours and e.get("step") == order()[0] for e in entries)

        # The survivors' exporters count the steps they ran; the APIs export queue depth and assets by status.
        for node in (nodes["ingest"], replacement):
            ran = sum(
                v
                for key, v in node.scrape().get("mediadesk_step_duration_seconds_count", {}).items()
                if dict(key).get("state") == "SUCCESS" and dict(key).get("step") != "sweep"
            )
            assert ran >= per_node[node.hostname], node.hostname
        for client in clients:
            samples = scrape(client)
            assert value(samples, "mediadesk_assets", status="ready") >= sum(
                1 for s in expected.values() if s == "ready"
            )
            assert {dict(key)["queue"] for key in samples["mediadesk_queue_depth"]} == set(QUEUES)
            client.close()
    except BaseException:
        for process in started:  # the processes' own words are the quickest diagnosis
            print(f"--- {process.log_path.name}\n{process.log()[-3000:]}")  # noqa: T201
        raise
    finally:
        for process in reversed(started):
            process.stop()
