"""Notification tasks on the ``notify`` queue (service.core.queues): the dispatcher, the sender with retries, and the
periodic checks (deadline reminders, releases and lifted embargoes, daily digests). All idempotent (service/notify).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from celery import Task

from service.core.db import session_scope
from service.core.queues import Queue
from service.notify import dispatch, schedule
from workers.celery_app import app

log = logging.getLogger(__name__)
QUEUE = Queue.notify.value
SEND = "notify.send"


def send_later(delivery_ids: list[uuid.UUID], countdown: float | None = None) -> None:
    """Queue the sends (after the commit that wrote the deliveries)."""
    for delivery_id in delivery_ids:
        app.send_task(SEND, args=[str(delivery_id)], queue=QUEUE, countdown=countdown)


@app.task(name="notify.dispatch", acks_late=True, reject_on_worker_lost=True, time_limit=300)  # type: ignore[untyped-decorator]
def dispatch_task() -> int:
    """Turn every undispatched event into notifications and sends; re-send sends whose message was lost."""
    total = 0
    while True:
        with session_scope() as session:
            taken, to_send = dispatch.dispatch_pending(session)
        send_later(to_send)
        total += len(to_send)
        if taken < dispatch.BATCH:
            break
    with session_scope() as session:
        lost = dispatch.lost_deliveries(session)
    send_later(lost)
    return total + len(lost)


@app.task(name=SEND, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, time_limit=120)  # type: ignore[untyped-decorator]
def send_task(self: Task[Any, Any], delivery_id: str) -> str:
    """Send one e-mail or robot message; on a failure, retry after the delivery's backoff (the row counts attempts
    and gives up after ``MEDIADESK_NOTIFY_MAX_ATTEMPTS``)."""
    with session_scope() as session:
        outcome, delay = dispatch.send(session, uuid.UUID(delivery_id))
    if outcome == dispatch.Outcome.retry:
        log.warning("notification %s not delivered; retrying in %.0f s", delivery_id, delay)
        raise self.retry(countdown=delay)
    if outcome == dispatch.Outcome.failed:
        log.error("notification %s failed for good", delivery_id)
    return outcome.value


@app.task(name="notify.reminders", acks_late=True, time_limit=600)  # type: ignore[untyped-decorator]
def reminders_task() -> int:
    with session_scope() as session:
        written = schedule.remind_deadlines(session)
    return written  # each publish woke the dispatcher after the commit


@app.task(name="notify.releases", acks_late=True, time_limit=300)  # type: ignore[untyped-decorator]
def releases_task() -> int:
    with session_scope() as session:
        written = schedule.announce_releases(session)
    return written


@app.task(name="notify.digests", acks_late=True, time_limit=600)  # type: ignore[untyped-decorator]
def digests_task() -> int:
    with session_scope() as session:
        to_send = schedule.send_digests(session)
    send_later(to_send)
    return len(to_send)


@app.task(name="notify.prune", acks_late=True, time_limit=600)  # type: ignore[untyped-decorator]
def prune_task() -> int:
    """Old notifications and finished deliveries go after the retention period."""
    with session_scope() as session:
        return schedule.prune(session)
