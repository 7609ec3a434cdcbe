"""Prometheus metrics of the API process, and the functions the upload (tus) code calls to feed them.

Series (all prefixed ``mediadesk_``):

* ``http_request_duration_seconds{method,route}`` histogram and ``http_requests_total{method,route,status}``, where
  ``route`` is the route *template* (``/api/v1/assets/{asset_id}``) so that ids never explode the label set;
* ``uploads_in_flight``, ``upload_bytes_received_total``, ``uploads_total{outcome}``: fed by the tus endpoints
  through :func:`upload_bytes`, :func:`upload_in_flight` and :func:`upload_finished`;
* ``queue_depth{queue}``, ``assets{status}``, ``asset_failures{status,reason}``, ``jobs{step,status}``: read at
  scrape time from Redis and PostgreSQL by :class:`StateCollector`, cached ``metrics_state_ttl_seconds`` so that
  many scrapers cost one query each period. Every API replica exports them: aggregate with ``max``, not ``sum``.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``uvicorn --workers N``), /metrics merges every process's values.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from service.core.config import get_settings
from service.core.queues import QUEUES

log = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "mediadesk_http_request_duration_seconds", "API request latency by route template", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
REQUESTS = Counter("mediadesk_http_requests", "API requests by route template and status",
                   ["method", "route", "status"])
UPLOADS_IN_FLIGHT = Gauge("mediadesk_uploads_in_flight", "Upload requests (tus PATCH) streaming right now",
                          multiprocess_mode="livesum")
UPLOAD_BYTES = Counter("mediadesk_upload_bytes_received", "Upload bytes received by the API")
UPLOADS = Counter("mediadesk_uploads", "Finished uploads by outcome (completed, aborted, expired, rejected)",
                  ["outcome"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, str(status)).inc()


def upload_bytes(n: int) -> None:
    """Count ``n`` bytes of upload body received (call per chunk written to storage)."""
    UPLOAD_BYTES.inc(n)


@contextmanager
def upload_in_flight() -> Iterator[None]:
    """Wrap the handling of one upload request body: the gauge counts requests streaming right now."""
    UPLOADS_IN_FLIGHT.inc()
    try:
        yield
    finally:
        UPLOADS_IN_FLIGHT.dec()


def upload_finished(outcome: str) -> None:
    """An upload ended: ``completed``, ``aborted`` (client deleted it), ``expired`` or ``rejected``."""
    UPLOADS.labels(outcome).inc()


class StateCollector(Collector):
    """Queue depth (Redis LLEN) and assets / jobs by status (PostgreSQL), cached between scrapes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._at = float("-inf")

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the backends (they may not be up yet)

    def collect(self) -> Iterable[Metric]:
        ttl = get_settings().metrics_state_ttl_seconds
        with self._lock:
            if time.monotonic() - self._at >= ttl:
                self._cached, healthy = self._read()
                # A failed read is not cached: the gauges come back on the first scrape after the backend does.
                self._at = time.monotonic() if healthy else float("-inf")
            return list(self._cached)

    def _read(self) -> tuple[list[Metric], bool]:
        errors = GaugeMetricFamily("mediadesk_state_scrape_errors", "1 when a state source did not answer",
                                   labels=["source"])
        metrics: list[Metric] = []
        healthy = True
        for source, read in (("redis", _queue_depth), ("database", _database_state)):
            try:
                metrics.extend(read())
                errors.add_metric([source], 0)
            except Exception as exc:  # a scrape must not fail because one backend is down: report it as a series
                log.warning("metrics: %s did not answer (%s)", source, exc.__class__.__name__)
                errors.add_metric([source], 1)
                healthy = False
        return [*metrics, errors], healthy


def _queue_depth() -> list[Metric]:
    depth = GaugeMetricFamily("mediadesk_queue_depth", "Messages waiting in each Celery queue", labels=["queue"])
    client = redis.Redis.from_url(get_settings().redis_url or "", socket_connect_timeout=2, socket_timeout=2)
    try:
        pipe = client.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.llen(queue)
        for queue, length in zip(QUEUES, pipe.execute(), strict=True):
            depth.add_metric([queue], float(length))
    finally:
        client.close()
    return [depth]


def _database_state() -> list[Metric]:
    from service.core.db import new_session

    assets = GaugeMetricFamily("mediadesk_assets", "Assets by pipeline status", labels=["status"])
    failures = GaugeMetricFamily("mediadesk_asset_failures", "Rejected or failed assets by reason code",
                                 labels=["status", "reason"])
    jobs = GaugeMetricFamily("mediadesk_jobs", "Pipeline jobs waiting or running, by step", labels=["step", "status"])
    with new_session() as session:
        session.execute(text("SET LOCAL statement_timeout = '3s'"))
        for status, count in session.execute(text("SELECT status, count(*) FROM asset GROUP BY status")):
            assets.add_metric([str(status)], float(count))
        for status, reason, count in session.execute(text(
            "SELECT status, coalesce(reason_code, 'unknown'), count(*) FROM asset "
            "WHERE status IN ('rejected_invalid', 'failed') GROUP BY 1, 2"
        )):
            failures.add_metric([str(status), str(reason)], float(count))
        for step, status, count in session.execute(text(
            "SELECT step, status, count(*) FROM job WHERE status IN ('queued', 'running') GROUP BY 1, 2"
        )):
            jobs.add_metric([str(step), str(status)], float(count))
        session.rollback()
    return [assets, failures, jobs]


_STATE = StateCollector()
REGISTRY.register(_STATE)


def exposition() -> tuple[bytes, str]:
    """The text exposition of this process (or of all processes in multiprocess mode) plus the state gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_STATE)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
