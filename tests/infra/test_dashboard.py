"""The Grafana dashboard only queries series that mediadesk exports (catches renames on either side)."""

from __future__ import annotations

import json
import re

from prometheus_client import Counter, Gauge, Histogram

from service.ops import metrics as api_metrics
from tests.support import ROOT
from workers import metrics as worker_metrics

SUFFIXES = {Counter: ("_total",), Gauge: ("",), Histogram: ("_bucket", "_count", "_sum")}


def exported_series() -> set[str]:
    names: set[str] = set()
    for module in (api_metrics, worker_metrics):
        for value in vars(module).values():
            for kind, suffixes in SUFFIXES.items():
                if isinstance(value, kind):
                    names |= {f"{value._name}{suffix}" for suffix in suffixes}
    source = (ROOT / "service" / "ops" / "metrics.py").read_text()
    names |= set(re.findall(r'GaugeMetricFamily\(\s*"(mediadesk_\w+)"', source))
    return names


def test_dashboard_queries_only_exported_series() -> None:
    dashboard = json.loads((ROOT / "infra" / "grafana" / "mediadesk.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"mediadesk_\w+", target["expr"])}
    assert queried
    assert queried <= exported_series(), queried - exported_series()
    exported_families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in exported_series()}
    shown_families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in queried}
    assert exported_families <= shown_families, f"not on the dashboard: {exported_families - shown_families}"
