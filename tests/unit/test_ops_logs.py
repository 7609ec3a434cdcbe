"""JSON log lines carry the ids bound around the code that logs; worker signal handlers count failures by reason."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from prometheus_client.metrics import MetricWrapperBase

from service.ops import logs


def record(message: str, **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord("mediadesk.test", logging.WARNING, __file__, 1, message, None, None)
    entry.__dict__.update(extra)
    return entry


def test_json_lines_carry_bound_ids_and_extra_fields() -> None:
    formatter = logs.JsonFormatter()
    with logs.bind(request_id="r-1", asset_id="a-1", step="derive"):
        line = json.loads(formatter.format(record("转码失败 / transcode failed", route="/x")))
    assert line["msg"] == "转码失败 / transcode failed"
    assert (line["request_id"], line["asset_id"], line["step"]) == ("r-1", "a-1", "derive")
    assert line["route"] == "/x"
    assert line["level"] == "WARNING"
    outside = json.loads(formatter.format(record("later")))
    assert "request_id" not in outside
    assert "asset_id" not in outside


def test_text_format_shows_the_ids_too() -> None:
    with logs.bind(request_id="r-2"):
        assert "request_id=r-2" in logs.TextFormatter().format(record("hello"))


def sample(metric: MetricWrapperBase, name: str, **labels: str) -> float:
    """One sample of one metric, without collecting the whole registry (which would query the backends)."""
    for family in metric.collect():
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return float(found.value)
    return 0.0


def test_worker_counts_failures_and_retries_by_reason() -> None:
    from workers import metrics

    task = SimpleNamespace(name="pipeline.derive")
    failures = {"step": "derive", "reason": "TimeoutError"}
    before = sample(metrics.STEP_FAILURES, "mediadesk_step_failures_total", **failures)
    metrics._on_failure(sender=task, exception=TimeoutError("ffmpeg hung"))
    metrics._on_retry(sender=task, reason=SimpleNamespace(exc=TimeoutError("again")))
    assert sample(metrics.STEP_FAILURES, "mediadesk_step_failures_total", **failures) - before == 2


def test_worker_times_each_step_and_unbinds_its_ids() -> None:
    from workers import metrics

    task = SimpleNamespace(name="pipeline.probe")
    labels = {"step": "probe", "state": "SUCCESS"}
    before = sample(metrics.STEP_SECONDS, "mediadesk_step_duration_seconds_count", **labels)
    metrics._on_prerun(task_id="t-1", task=task, args=["asset-9"])
    assert logs.current_ids() == {"asset_id": "asset-9", "step": "probe"}
    metrics._on_postrun(task_id="t-1", task=task, state="SUCCESS")
    assert logs.current_ids() == {}
    assert sample(metrics.STEP_SECONDS, "mediadesk_step_duration_seconds_count", **labels) == before + 1
