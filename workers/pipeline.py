"""The asset pipeline: step order, the asset state machine and the task wrapper every step runs in.

Each step is a Celery task ``pipeline.<step>`` that loads the asset by id, checks its guard (already done → skip),
does its work with deterministic output keys, commits, then enqueues the next step (after the commit). No chains or
chords: the ``job`` row per asset and step is the source of truth, and the sweeper re-sends lost or stale steps.

A step function has the signature ``(session, asset, job) -> Outcome`` and raises:

* ``Rejected(code, zh, en)`` when the *file* is at fault: the asset ends ``rejected_invalid`` with that reason;
* a transient error (storage, database, broker, timeouts): retried with backoff and jitter, then ``failed``;
* anything else: the asset ends ``failed`` with the error recorded on the job row (never swallowed).
"""

from __future__ import annotations

import errno
import logging
import random
import resource
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from minio.error import S3Error
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from service.core.config import get_settings
from service.core.db import new_session
from service.core.tasks import PIPELINE_STEPS, STEP_QUEUES, UNSENT, enqueue_step, queue_step
from service.db.asset import TERMINAL_STATUSES, Asset, AssetStatus, Job, JobStatus
from service.db.review_index import record_screening, sync_review_row
from service.db.screening import review_summary
from workers.celery_app import app
from workers.rejections import Rejected as Rejected  # re-exported: steps import it from here

log = logging.getLogger(__name__)

#: Step order (ARCHITECTURE.md). Only registered steps run; the last one's success makes the asset ``ready``.
FULL_ORDER: tuple[str, ...] = PIPELINE_STEPS

HEARTBEAT_SECONDS = get_settings().worker_heartbeat_seconds  # short only in the cluster test
STALE_AFTER = timedelta(seconds=5 * HEARTBEAT_SECONDS)
class ScratchFull(Exception):  # noqa: N818 - named as the operator sees it
    """The worker's temp disk (``MEDIADESK_WORKER_TMP_DIR``) is full: a transient fault, retried with back-off."""


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return "No space left on device" in str(exc)  # ffmpeg and other child processes report it on stderr


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ScratchFull,
    OperationalError, S3Error, Urllib3HTTPError, ConnectionError, TimeoutError, socket.timeout,
)


@dataclass(frozen=True)
class StepSpec:
    name: str
    fn: Callable[[Session, Asset, Job], None]
    soft_time_limit: int
    time_limit: int
    max_retries: int


STEPS: dict[str, StepSpec] = {}


def order() -> list[str]:
    return [step for step in FULL_ORDER if step in STEPS]


def next_step(step: str) -> str | None:
    steps = order()
    index = steps.index(step)
    return steps[index + 1] if index + 1 < len(steps) else None


def _heartbeat(job_id: uuid.UUID, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            with new_session() as session:
                session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=datetime.now(UTC)))
                session.commit()
        except Exception:  # the database may be restarting; the next beat retries
            log.warning("heartbeat for job %s failed", job_id, exc_info=True)


def _claim(session: Session, asset_id: uuid.UUID, step: str, worker: str) -> tuple[Asset, Job] | None:
    """Lock the asset's job row; None when there is nothing to do (asset gone, step done, asset terminal)."""
    asset = session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        log.info("asset %s is gone; skipping %s", asset_id, step)
        return None
    job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == step).with_for_update())
    if job is None:
        job = Job(asset_id=asset_id, step=step, status=JobStatus.queued)
        session.add(job)
    now = datetime.now(UTC)
    if job.status == JobStatus.done or asset.status in TERMINAL_STATUSES:
        return None
    if job.status == JobStatus.running and job.heartbeat_at and now - job.heartbeat_at < STALE_AFTER:
        log.info("step %s of asset %s is running elsewhere; skipping the duplicate delivery", step, asset_id)
        return None
    job.status, job.attempts, job.worker = JobStatus.running, job.attempts + 1, worker
    job.started_at = job.heartbeat_at = now
    if asset.status in (AssetStatus.stored,) and step != order()[0]:
        asset.status = AssetStatus.processing
    session.commit()
    return asset, job


def cpu_seconds() -> float:
    """CPU seconds so far of this worker process (every thread) and of its finished children (ffmpeg)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_step(task: Task, step: str, asset_id: str) -> None:
    spec = STEPS[step]
    worker = f"{task.request.hostname or socket.gethostname()}"
    session = new_session()
    try:
        claimed = _claim(session, uuid.UUID(asset_id), step, worker)
        if claimed is None:
            return
        asset, job = claimed
        stop = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(job.id, stop), daemon=True)
        beat.start()
        cpu_before = cpu_seconds()
        try:
            spec.fn(session, asset, job)
        except Exception as exc:
            if _disk_full(exc):  # the worker's scratch space, not the file: retry like any other outage
                raise ScratchFull(str(exc)[:500]) from exc
            raise
        finally:
            stop.set()
        job.cpu_seconds = round(cpu_seconds() - cpu_before, 3)
        _finish(session, asset, job, step)
    except Rejected as rejection:
        session.rollback()
        _mark(asset_id, step, AssetStatus.rejected_invalid, rejection.code, rejection.detail, JobStatus.done)
    except SoftTimeLimitExceeded:
        session.rollback()
        _mark(asset_id, step, AssetStatus.failed, "step_timeout",
              f"处理步骤「{step}」超时 / step {step} exceeded its time limit", JobStatus.failed)
    except TRANSIENT_ERRORS as exc:
        session.rollback()
        retries = task.request.retries
        if retries >= spec.max_retries:
            _mark(asset_id, step, AssetStatus.failed, "transient_error",
                  f"处理步骤「{step}」多次重试后仍失败，可由编辑重新处理 / step {step} failed after {retries} retries: "
                  f"{exc.__class__.__name__}", JobStatus.failed)
            raise
        try:
            _record_error(asset_id, step, f"{exc.__class__.__name__}: {exc}"[:2000])
        except TRANSIENT_ERRORS:  # the database itself is down: schedule the retry anyway (it needs the broker only)
            log.warning("could not record the error of step %s for asset %s; retrying anyway", step, asset_id)
        delay = min(300.0, 2.0 ** retries * 5) * random.uniform(0.5, 1.5)
        raise task.retry(exc=exc, countdown=delay) from exc
    except Exception as exc:
        session.rollback()
        log.exception("step %s failed for asset %s", step, asset_id)
        _mark(asset_id, step, AssetStatus.failed, "internal_error",
              f"处理步骤「{step}」出错，可由编辑重新处理 / step {step} failed: {exc.__class__.__name__}",
              JobStatus.failed, error=repr(exc)[:4000])
        raise
    finally:
        session.close()


def _finish(session: Session, asset: Asset, job: Job, step: str) -> None:
    now = datetime.now(UTC)
    job.status, job.finished_at, job.error = JobStatus.done, now, None
    following = next_step(step)
    if asset.status not in TERMINAL_STATUSES:
        if following is None:
            asset.status, asset.ready_at = AssetStatus.ready, now
            session.flush()
            if sync_review_row(session, asset.id) is not None:  # enters the editors' queue in the same commit
                record_screening(session, asset.id, **review_summary(session, asset.id))
        else:
            if asset.status == AssetStatus.uploading:
                asset.status = AssetStatus.stored
            elif step != order()[0]:
                asset.status = AssetStatus.processing
            queue_step(session, asset.id, following)
    session.commit()


def _mark(asset_id: str, step: str, status: AssetStatus, code: str, detail: str, job_status: JobStatus,
          error: str | None = None) -> None:
    with new_session() as session:
        asset = session.get(Asset, uuid.UUID(asset_id), with_for_update=True)
        if asset is None:
            return
        asset.status, asset.reason_code, asset.reason_detail = status, code, detail
        session.execute(
            update(Job).where(Job.asset_id == asset.id, Job.step == step)
            .values(status=job_status, finished_at=datetime.now(UTC), error=error or detail)
        )
        session.commit()


def _record_error(asset_id: str, step: str, error: str) -> None:
    with new_session() as session:
        session.execute(update(Job).where(Job.asset_id == uuid.UUID(asset_id), Job.step == step)
                        .values(error=error, status=JobStatus.queued))
        session.commit()


def register(name: str, *, soft_time_limit: int = 300, time_limit: int = 360, max_retries: int = 5
             ) -> Callable[[Callable[[Session, Asset, Job], None]], Callable[[Session, Asset, Job], None]]:
    """Declare a pipeline step; the Celery task ``pipeline.<name>`` runs it inside ``run_step``."""

    def decorate(fn: Callable[[Session, Asset, Job], None]) -> Callable[[Session, Asset, Job], None]:
        STEPS[name] = StepSpec(name, fn, soft_time_limit, time_limit, max_retries)

        @app.task(name=f"pipeline.{name}", bind=True, acks_late=True, reject_on_worker_lost=True,
                  soft_time_limit=soft_time_limit, time_limit=time_limit, max_retries=max_retries,
                  queue=STEP_QUEUES[name])  # type: ignore[untyped-decorator]
        def task(self: Task, asset_id: str) -> None:
            run_step(self, name, asset_id)

        return fn

    return decorate


def retry_asset(session: Session, asset: Asset) -> str:
    """Re-run a failed asset (editor/admin action); the one implementation lives in service.assets.service."""
    from service.assets.service import retry_asset as retry

    return retry(session, asset)


@app.task(name="pipeline.sweep")  # type: ignore[untyped-decorator]
def sweep(stale_seconds: int = int(STALE_AFTER.total_seconds()), queued_seconds: int | None = None) -> dict[str, int]:
    """Re-send steps whose worker died (stale heartbeat) or whose message was lost (queued too long)."""
    queued_seconds = queued_seconds or get_settings().sweeper_lost_after_seconds
    now = datetime.now(UTC)
    resent: dict[str, int] = {"stale": 0, "lost": 0}
    with new_session() as session:
        stale = session.scalars(
            select(Job)
            .where(Job.status == JobStatus.running, Job.heartbeat_at < now - timedelta(seconds=stale_seconds))
            .with_for_update(skip_locked=True).limit(500)
        ).all()
        lost = session.scalars(
            select(Job).where(Job.status == JobStatus.queued, or_(
                Job.queued_at < now - timedelta(seconds=queued_seconds),
                and_(Job.error == UNSENT, Job.queued_at < now - timedelta(seconds=5))))
            .with_for_update(skip_locked=True).limit(500)
        ).all()
        for kind, jobs in (("stale", stale), ("lost", lost)):
            for job in jobs:
                if job.step not in STEPS:
                    continue
                job.status, job.queued_at, job.error = JobStatus.queued, now, None
                enqueue_step(session, job.step, job.asset_id)
                resent[kind] += 1
        session.commit()
    if resent["stale"] or resent["lost"]:
        log.warning("sweeper re-sent %s", resent)
    return resent


def import_steps() -> None:
    """Import every step module so its ``@register`` runs (the worker and tests call this)."""
    import importlib
    import pkgutil

    import workers.steps

    for module in pkgutil.iter_modules(workers.steps.__path__):
        importlib.import_module(f"workers.steps.{module.name}")


def describe() -> dict[str, Any]:
    return {"order": order(), "steps": sorted(STEPS)}


import_steps()
