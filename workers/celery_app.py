"""The Celery application: queues, routes, reliability settings. Tasks live in ``workers.pipeline`` and steps."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_ready
from kombu.entity import Queue

from service.core.config import get_settings
from service.core.tasks import STEP_QUEUES

QUEUES = ("ingest", "media", "ml", "default")
#: Longest step's hard limit; the broker's visibility timeout must exceed it (ARCHITECTURE.md).
LONGEST_STEP_SECONDS = 2 * 3600


def make_app() -> Celery:
    settings = get_settings()
    app = Celery("mediadesk", broker=settings.redis_url,
                 include=["workers.pipeline", "workers.maintenance", "workers.metrics", "workers.packages",
                          "workers.purge"])
    app.conf.update(
        task_queues=[Queue(name) for name in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue="default",
        task_routes={f"pipeline.{step}": {"queue": queue} for step, queue in STEP_QUEUES.items()},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": LONGEST_STEP_SECONDS + 600},
        broker_connection_retry_on_startup=True,
        # kombu's Redis transport plus a fix that keeps the worker alive across a broker restart (workers/broker.py)
        broker_transport="workers.broker:Transport",
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweeper": {"task": "pipeline.sweep", "schedule": float(settings.sweeper_interval_seconds),
                        "options": {"queue": "default"}},
            "expire-uploads": {"task": "maintenance.expire_uploads", "schedule": 3600.0,
                               "options": {"queue": "default"}},
            "purge-takedowns": {"task": "purge.sweep_takedowns", "schedule": 3600.0, "options": {"queue": "default"}},
            "portal-expire-packages": {"task": "portal.expire_packages", "schedule": 300.0,
                                       "options": {"queue": "default"}},
        },
        task_always_eager=settings.task_eager,
    )
    return app


app = make_app()


@worker_ready.connect  # type: ignore[untyped-decorator]
def _remove_orphan_scratch(**_: Any) -> None:
    # A worker SIGKILLed mid-transcode leaves its temp folder behind; the next worker on the machine clears it.
    from workers.scratch import remove_orphans

    remove_orphans()
