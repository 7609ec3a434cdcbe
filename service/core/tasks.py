"""Enqueue Celery tasks after the database commit, never before (polar's pattern).

The API never imports ``workers``: tasks are sent by name through a producer-only Celery app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.queues import STEP_QUEUES as _STEP_QUEUES

log = logging.getLogger(__name__)

#: The pipeline's steps in order (ARCHITECTURE.md "The asset pipeline").
PIPELINE_STEPS: tuple[str, ...] = ("verify", "probe", "derive", "screen", "dedupe", "tag")

#: step name -> queue: ``service.core.queues`` (re-exported here for the senders).
STEP_QUEUES = _STEP_QUEUES

#: Renditions made only when someone needs them (service.assets.on_demand), by the ``media.render_on_demand`` task.
ON_DEMAND_RENDITIONS: tuple[str, ...] = ("broadcast_1080p",)
ON_DEMAND_TASK = "media.render_on_demand"


@dataclass
class PendingTask:
    name: str
    args: list[Any] = field(default_factory=list)
    queue: str = "default"
    countdown: float | None = None


@lru_cache(maxsize=1)
def producer() -> Celery:
    """A Celery app used only to send tasks by name."""
    settings = get_settings()
    app = Celery("mediadesk-producer", broker=settings.redis_url)
    # No visibility timeout here: only consumers restore unacknowledged messages, and theirs is derived from the
    # task limits in workers.celery_app (service.core.queues.redelivery_timeout).
    app.conf.broker_connection_retry_on_startup = False
    app.conf.broker_connection_timeout = 5
    return app


def enqueue(session: Session, name: str, *args: Any, queue: str = "default", countdown: float | None = None) -> None:
    """Buffer a task on the session; it is sent when the session commits."""
    session.info.setdefault("pending_tasks", []).append(PendingTask(name, list(args), queue, countdown))


def enqueue_step(session: Session, step: str, asset_id: Any) -> None:
    enqueue(session, f"pipeline.{step}", str(asset_id), queue=STEP_QUEUES[step])


def queue_step(session: Session, asset_id: Any, step: str = PIPELINE_STEPS[0]) -> None:
    """Mark the asset's ``step`` job as queued and send it after the commit (first step by default)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from service.db.asset import Job, JobStatus

    job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == step))
    now = datetime.now(UTC)
    if job is None:
        session.add(Job(asset_id=asset_id, step=step, status=JobStatus.queued, queued_at=now))
    else:
        job.status, job.queued_at, job.error = JobStatus.queued, now, None
    session.flush()
    enqueue_step(session, step, asset_id)


def flush_after_commit(session: Session) -> None:
    pending: list[PendingTask] = session.info.pop("pending_tasks", [])
    for task in pending:
        send_now(task.name, *task.args, queue=task.queue, countdown=task.countdown)


#: Written on a queued job whose message never reached the broker: the sweeper re-sends it at its next run
#: instead of waiting for the "lost message" age (minutes), so a broker outage delays steps, never strands them.
UNSENT = "broker_unavailable: step not sent yet"


def send_now(name: str, *args: Any, queue: str = "default", countdown: float | None = None) -> None:
    """Send immediately. A broker outage is logged, not raised: the sweeper re-sends queued jobs."""
    try:
        producer().send_task(name, args=args, queue=queue, countdown=countdown, retry=False)
    except Exception:  # broker down: the job row stays 'queued' and the sweeper picks it up
        log.warning("could not send %s%s to the broker; the sweeper will retry", name, args)
        if name.startswith("pipeline.") and args:
            _mark_unsent(name.removeprefix("pipeline."), args[0])


def _mark_unsent(step: str, asset_id: Any) -> None:
    from sqlalchemy import update

    from service.core.db import new_session
    from service.db.asset import Job, JobStatus

    try:
        with new_session() as session:
            session.execute(update(Job).where(Job.asset_id == asset_id, Job.step == step,
                                              Job.status == JobStatus.queued).values(error=UNSENT))
            session.commit()
    except Exception:  # the database is down too: the sweeper's age rule still finds the job later
        log.warning("could not mark %s of %s as unsent", step, asset_id)


def ping_broker(timeout: float = 2.0) -> None:
    """Raise when the broker does not answer within ``timeout`` seconds (readiness, upload admission)."""
    import redis

    client = redis.Redis.from_url(get_settings().redis_url or "", socket_connect_timeout=timeout,
                                  socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()


def discard(session: Session) -> None:
    session.info.pop("pending_tasks", None)
