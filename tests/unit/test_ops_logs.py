"""JSON log lines carry the ids bound around the code that logs; worker signal handlers count failures by reason."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from prometheus_client import REGISTRY

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


def test_worker_counts_failures_and_retries_by_reason() -> None:
    from workers import metrics

    task = SimpleNamespace(name="pipeline.derive")
    before = REGISTRY.get_sample_value("mediadesk_step_failures_total", {"step": "derive", "reason": "TimeoutError"})
    metrics._on_failure(sender=task, exception=TimeoutError("ffmpeg hung"))
    metrics._on_retry(sender=task, reason=SimpleNamespace(exc=TimeoutError("again")))
    after = REGISTRY.get_sample_value("mediadesk_step_failures_total", {"step": "derive", "reason": "TimeoutError"})
    assert (after or 0) - (before or 0) == 2


def test_worker_times_each_step_and_unbinds_its_ids() -> None:
    from workers import metrics

    task = SimpleNamespace(name="pipeline.probe")
    labels = {"step": "probe", "state": "SUCCESS"}
    before = REGISTRY.get_sample_value("mediadesk_step_duration_seconds_count", labels) or 0
    metrics._on_prerun(task_id="t-1", task=task, args=["asset-9"])
    assert logs.current_ids() == {"asset_id": "asset-9", "step": "probe"}
    metrics._on_postrun(task_id="t-1", task=task, state="SUCCESS")
    assert logs.current_ids() == {}
    assert REGISTRY.get_sample_value("mediadesk_step_duration_seconds_count", labels) == before + 1
