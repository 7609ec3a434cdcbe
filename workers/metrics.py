"""Worker observability through Celery signals: step metrics, log context, optional trace spans, the exporter.

Series: ``mediadesk_step_duration_seconds{step,state}`` (state: SUCCESS, RETRY, FAILURE) and
``mediadesk_step_failures_total{step,reason}`` (reason: the exception class). Rejections of bad *files* are not task
failures; they are counted by reason code from the database on the API's /metrics (``mediadesk_asset_failures``).

Tasks run in prefork pool children, so the exporter (``MEDIADESK_WORKER_METRICS_PORT``) needs
``PROMETHEUS_MULTIPROC_DIR`` set in the worker's environment (the images and manifests do); it serves the merged
values of all children from the main process.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess, start_http_server

from service.core.config import get_settings
from service.ops import logs, tracing

log = logging.getLogger(__name__)

STEP_SECONDS = Histogram(
    "mediadesk_step_duration_seconds", "Pipeline task run time by step and final state", ["step", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)
STEP_FAILURES = Counter("mediadesk_step_failures", "Pipeline task failures and retries by exception class",
                        ["step", "reason"])

_started: dict[str, tuple[float, Any, Any]] = {}


def _step_of(task: Any) -> str:
    name = str(getattr(task, "name", "") or "")
    return name.removeprefix("pipeline.")


def _on_prerun(task_id: str, task: Any, args: Any = None, **_: Any) -> None:
    step = _step_of(task)
    asset_id = str(args[0]) if args else None
    context = logs.bind(asset_id=asset_id, step=step)
    context.__enter__()
    _started[task_id] = (time.perf_counter(), context, tracing.start_span(f"step {step}", asset_id=asset_id or ""))


def _on_postrun(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    begin, context, span = started
    STEP_SECONDS.labels(_step_of(task), state or "UNKNOWN").observe(time.perf_counter() - begin)
    if span is not None:
        span.end()
    context.__exit__(None, None, None)


def _on_failure(sender: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    STEP_FAILURES.labels(_step_of(sender), type(exception).__name__).inc()


def _on_retry(sender: Any = None, reason: Any = None, **_: Any) -> None:
    cause = getattr(reason, "exc", None) or reason
    STEP_FAILURES.labels(_step_of(sender), type(cause).__name__).inc()


def _json_logs(logger: logging.Logger, **_: Any) -> None:
    settings = get_settings()
    if settings.log_format == "json":
        for handler in logger.handlers:
            handler.setFormatter(logs.formatter("json"))


def _start_exporter(**_: Any) -> None:
    """Runs in the main worker process before the pool forks: clear old child files, then serve."""
    settings = get_settings()
    tracing.setup("mediadesk-worker", settings.otel_endpoint)
    if settings.worker_metrics_port is None:
        return
    registry: CollectorRegistry = REGISTRY
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):  # values of a previous run would be added to ours
            stale.unlink()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        log.warning("PROMETHEUS_MULTIPROC_DIR is not set: only tasks run in the main process are exported")
    start_http_server(settings.worker_metrics_port, registry=registry)
    log.info("worker metrics on :%s", settings.worker_metrics_port)


def _child_gone(pid: int | None = None, **_: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


# Connected here rather than by decorator so that the handlers keep their types (weak=False: module-level).
signals.task_prerun.connect(_on_prerun, weak=False)
signals.task_postrun.connect(_on_postrun, weak=False)
signals.task_failure.connect(_on_failure, weak=False)
signals.task_retry.connect(_on_retry, weak=False)
signals.after_setup_logger.connect(_json_logs, weak=False)
signals.after_setup_task_logger.connect(_json_logs, weak=False)
signals.worker_init.connect(_start_exporter, weak=False)
signals.worker_process_shutdown.connect(_child_gone, weak=False)
