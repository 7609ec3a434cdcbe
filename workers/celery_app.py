"""The Celery application: queues, routes, reliability settings. Tasks live in ``workers.pipeline`` and steps.

Queue names and the step → queue table are ``service.core.queues``'s. The broker's redelivery (visibility) timeout
is derived from the registered tasks' hard time limits once the worker has imported them (``worker_init``), so it
stays longer than the longest task, package builds included, whatever limits the tasks declare.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready
from kombu.entity import Queue

from service.core.config import get_settings
from service.core.queues import DEFAULT_TASK_TIME_LIMIT, QUEUES, STEP_QUEUES, redelivery_timeout
from service.core.queues import Queue as QueueName

#: The modules whose tasks the worker runs (imported by Celery at worker start).
TASK_MODULES = ["workers.pipeline", "workers.maintenance", "workers.metrics", "workers.packages",
                "workers.purge", "workers.week_report", "workers.notify", "workers.documents.tasks",
                "workers.retention"]


def make_app() -> Celery:
    settings = get_settings()
    app = Celery("mediadesk", broker=settings.redis_url, include=TASK_MODULES)
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue=QueueName.default.value,
        task_routes={f"pipeline.{step}": {"queue": queue} for step, queue in STEP_QUEUES.items()},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=DEFAULT_TASK_TIME_LIMIT,  # tasks declaring none still have one (see redelivery_timeout)
        broker_transport_options={"visibility_timeout": redelivery_timeout([])},  # raised at worker_init
        broker_connection_retry_on_startup=True,
        # kombu's Redis transport plus a fix that keeps the worker alive across a broker restart (workers/broker.py)
        broker_transport="workers.broker:Transport",
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweeper": {"task": "pipeline.sweep", "schedule": float(settings.sweeper_interval_seconds),
                        "options": {"queue": QueueName.default.value}},
            "expire-uploads": {"task": "maintenance.expire_uploads", "schedule": 3600.0,
                               "options": {"queue": QueueName.default.value}},
            "purge-takedowns": {"task": "purge.sweep_takedowns", "schedule": 3600.0,
                                "options": {"queue": QueueName.default.value}},
            "retention-sweep": {"task": "retention.sweep", "schedule": 86400.0,
                                "options": {"queue": QueueName.default.value}},
            "portal-expire-packages": {"task": "portal.expire_packages", "schedule": 300.0,
                                       "options": {"queue": QueueName.default.value}},
            # Notifications (workers/notify.py): each run is idempotent (dedupe keys, unique delivery keys)
            "notify-dispatch": {"task": "notify.dispatch", "schedule": float(settings.notify_dispatch_interval_seconds),
                                "options": {"queue": QueueName.notify.value}},
            "notify-releases": {"task": "notify.releases", "schedule": 60.0,
                                "options": {"queue": QueueName.notify.value}},
            "notify-reminders": {"task": "notify.reminders", "schedule": 3600.0,
                                 "options": {"queue": QueueName.notify.value}},
            "notify-digests": {"task": "notify.digests", "schedule": 600.0,
                               "options": {"queue": QueueName.notify.value}},
            "notify-prune": {"task": "notify.prune", "schedule": 86400.0,
                             "options": {"queue": QueueName.notify.value}},
            "documents-requeue-lost": {"task": "documents.requeue_lost", "schedule": 600.0,
                                       "options": {"queue": QueueName.default.value}},
        },
        task_always_eager=settings.task_eager,
    )
    return app


app = make_app()


def task_time_limits(celery: Celery) -> dict[str, int]:
    """Each registered task's hard time limit in seconds (the app's default where a task declares none)."""
    default = int(celery.conf.task_time_limit or DEFAULT_TASK_TIME_LIMIT)
    return {name: int(task.time_limit or default) for name, task in celery.tasks.items()
            if not name.startswith("celery.")}


def configure_redelivery(celery: Celery) -> int:
    """Set the broker's visibility timeout from the registered tasks' limits; returns it."""
    timeout = redelivery_timeout(task_time_limits(celery).values())
    celery.conf.broker_transport_options = {**celery.conf.broker_transport_options, "visibility_timeout": timeout}
    return timeout


@worker_init.connect  # type: ignore[untyped-decorator]
def _derive_redelivery(sender: Any = None, **_: Any) -> None:
    # The worker has imported TASK_MODULES by now and has not connected to the broker yet.
    configure_redelivery(getattr(sender, "app", None) or app)


@worker_ready.connect  # type: ignore[untyped-decorator]
@worker_process_init.connect  # type: ignore[untyped-decorator]
def _remove_orphan_scratch(**_: Any) -> None:
    # A worker SIGKILLed mid-transcode leaves its temp folder behind; the next worker on the machine clears it, and
    # so does each new pool process (the one replacing a child killed alone, e.g. by the OOM killer).
    from workers.scratch import remove_orphans

    remove_orphans()
