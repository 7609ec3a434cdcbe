"""Fault rounds during the load: kill -9 and restart, in turn, an API process, a worker, Redis, PostgreSQL and the
S3 server, and fill the workers' temp disk; measure how long the service takes to come back for each.

Recovery is measured from the kill: ``ready`` = every API replica answers /readyz 200 again; ``upload`` = a fresh
probe upload is acknowledged; ``pipeline`` = that probe asset reaches a final status.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from tests.load.media import Sample, unique_copy
from tests.load.metrics import Recorder
from tests.load.scenario import TERMINAL, Deadline
from tests.load.stack import Stack, World
from tests.load.tus import TusUploader, UploadFailed
from tests.support import LiveAPI

FAULTS = ("api", "worker", "redis", "postgres", "s3", "worker_tmp_full")


@dataclass
class FaultOutcome:
    name: str
    started: float  # seconds since the run started
    ended: float  # when the part was restarted (or the disk freed)
    ready_after: float | None = None
    upload_after: float | None = None
    pipeline_after: float | None = None
    probe_status: str | None = None
    note: str = ""
    probe_sha256: str | None = None  # the probe file, so that the audit counts it as a file a client sent


def _retry(action: Callable[[], None], attempts: int = 20, pause: float = 1.0) -> None:
    """Restarting right after a SIGKILL can race with the dying process (ports, shared memory): try again."""
    for attempt in range(attempts):
        try:
            action()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            time.sleep(pause)


def inject(stack: Stack, name: str) -> Callable[[], str]:
    """kill -9 ``name`` now; return the function that brings it back (and says what it did)."""
    servers = stack.servers
    assert servers is not None, "faults need a stack this process owns"
    if name == "api":
        victim = stack.apis[0]
        victim.kill()

        def restart_api() -> str:
            stack.apis[0] = LiveAPI(stack.env, stack.logs, port=victim.port)
            _retry(lambda: stack.apis[0].start() and None)
            return f"API replica on port {victim.port} (1 of {len(stack.apis)}) SIGKILLed, restarted on the same port"

        return restart_api
    if name == "worker":
        stack.workers[0].kill()

        def restart_worker() -> str:
            stack.workers[0] = stack.new_worker(0)
            return "Celery worker process group SIGKILLed (running tasks lost mid-step), a new worker started"

        return restart_worker
    if name == "redis":
        servers.redis.kill()
        return lambda: (_retry(servers.redis.start), "redis-server SIGKILLed (AOF on), restarted on the same port")[1]
    if name == "postgres":
        servers.postgres.kill()
        return lambda: (_retry(servers.postgres.start), "postmaster SIGKILLed, restarted (crash recovery)")[1]
    if name == "s3":
        servers.s3.kill()
        return lambda: (_retry(servers.s3.start), "SeaweedFS `weed mini` process group SIGKILLed, restarted")[1]
    if name == "worker_tmp_full":
        if stack.disk is None or not stack.disk.mounted:
            return lambda: "skipped: no size-limited temp folder could be mounted (needs root)"
        written = stack.disk.fill()

        def free_disk() -> str:
            assert stack.disk is not None
            stack.disk.drain()
            return (f"MEDIADESK_WORKER_TMP_DIR is a {stack.disk.megabytes} MiB tmpfs; filled with "
                    f"{written // 2**20} MiB of filler, then freed")

        return free_disk
    raise ValueError(f"unknown fault {name!r}")


#: How long a fault's probe asset is followed through the pipeline (it queues behind whatever backlog the load made).
FOLLOW_TIMEOUT = 2400.0


async def _probe(stack: Stack, world: World, sample: Sample, recorder: Recorder, outcome: FaultOutcome,
                 kill_at: float, timeout: float, trackers: list[asyncio.Task[None]]) -> None:
    """Readiness, then one probe upload (each as seconds since the kill); the probe's way through the pipeline is
    followed in the background (``trackers``) so the next fault does not wait for the backlog."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            await asyncio.to_thread(stack.wait_ready, 5)
            outcome.ready_after = recorder.now() - kill_at
            break
        except TimeoutError:
            continue
    actor, submission_id = world.submitters[0]
    # A separate recorder: the probe's own requests must not blur the clients' statistics.
    tus = TusUploader(stack.urls, actor.token, Recorder(), random.Random(), disconnect_probability=0.0,
                      deadline_seconds=max(5.0, deadline - time.monotonic()))
    async with httpx.AsyncClient(timeout=30) as client:
        data = unique_copy(sample)
        outcome.probe_sha256 = hashlib.sha256(data).hexdigest()
        try:
            ack = await tus.upload(client, data, filename=f"probe-{outcome.name}.jpg",
                                   kind=sample.kind, submission_id=str(submission_id))
        except UploadFailed as exc:
            outcome.note += f" probe upload failed: {exc}"
            return
        outcome.upload_after = recorder.now() - kill_at
    if ack.asset_id:
        # Followed longer than the fault's own timeout: behind a backlog the probe waits its turn in the queue.
        trackers.append(asyncio.create_task(_follow(stack, actor.token, ack.asset_id, recorder, outcome, kill_at,
                                                    max(timeout, FOLLOW_TIMEOUT))))


async def _follow(stack: Stack, token: str, asset_id: str, recorder: Recorder, outcome: FaultOutcome,
                  kill_at: float, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=30) as client:
        while time.monotonic() < deadline:
            try:
                response = await client.get(f"{stack.urls[-1]}/api/v1/assets/{asset_id}",
                                            headers={"Authorization": f"Bearer {token}"})
                status = response.json().get("status") if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                status = None
            if status in TERMINAL:
                outcome.pipeline_after, outcome.probe_status = recorder.now() - kill_at, status
                return
            await asyncio.sleep(2)


async def fault_rounds(stack: Stack, world: World, probe_sample: Sample, recorder: Recorder, faults: list[str],
                       *, gap: float, hold: float, probe_timeout: float, tus: bool,
                       outcomes: list[FaultOutcome], deadline: Deadline) -> None:
    """Run each fault in turn while the load runs (keeping the load going until the last one recovered)."""
    planned = deadline.at
    deadline.extend_to(time.monotonic() + 3600)
    trackers: list[asyncio.Task[None]] = []
    try:
        await _rounds(stack, world, probe_sample, recorder, faults, gap, hold, probe_timeout, tus, outcomes,
                      trackers)
    finally:
        deadline.at = max(planned, time.monotonic() + 10)  # some normal load after the last fault
    await asyncio.gather(*trackers)


async def _rounds(stack: Stack, world: World, probe_sample: Sample, recorder: Recorder, faults: list[str],
                  gap: float, hold: float, probe_timeout: float, tus: bool, outcomes: list[FaultOutcome],
                  trackers: list[asyncio.Task[None]]) -> None:
    for name in faults:
        await asyncio.sleep(gap)
        kill_at = recorder.now()
        recorder.event(f"fault: {name}")
        restart = await asyncio.to_thread(inject, stack, name)
        await asyncio.sleep(hold * (3 if name == "worker_tmp_full" else 1))
        note = await asyncio.to_thread(restart)
        outcome = FaultOutcome(name, kill_at, recorder.now(), note=note)
        recorder.event(f"recovering: {name}")
        if tus and not note.startswith("skipped"):
            await _probe(stack, world, probe_sample, recorder, outcome, kill_at, probe_timeout, trackers)
        else:
            outcome.ready_after = await asyncio.to_thread(stack.wait_ready, probe_timeout) + outcome.ended - kill_at
        outcomes.append(outcome)
