"""What the load clients saw: every request's endpoint, outcome and latency, and the pipeline backlog over time."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

CONNECTION_ERROR = 0  # status recorded when no HTTP response came back (refused, reset, timeout)


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the run started
    endpoint: str  # "PATCH /api/v1/uploads/{id}"
    status: int
    ms: float
    retry_after: bool = False  # a Retry-After header came with the response


@dataclass(frozen=True)
class BacklogPoint:
    at: float
    by_status: dict[str, int]
    queues: dict[str, int]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class EndpointStats:
    endpoint: str
    count: int
    ok: int
    errors_4xx: int
    errors_5xx: int
    unavailable_503: int
    unavailable_without_retry_after: int
    server_errors_500: int
    connection_errors: int
    p50: float
    p95: float
    p99: float

    @property
    def error_rate(self) -> float:
        return (self.errors_5xx + self.connection_errors) / self.count if self.count else 0.0


@dataclass
class Recorder:
    """Collects samples from every client coroutine (single event loop: no locking needed)."""

    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    backlog: list[BacklogPoint] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started

    def record(self, endpoint: str, status: int, ms: float, retry_after: bool = False) -> None:
        self.samples.append(Sample(self.now(), endpoint, status, ms, retry_after))

    def event(self, text: str) -> None:
        self.events.append((self.now(), text))

    def stats(self, since: float = 0.0, until: float = math.inf) -> list[EndpointStats]:
        grouped: dict[str, list[Sample]] = defaultdict(list)
        for sample in self.samples:
            if since <= sample.at < until:
                grouped[sample.endpoint].append(sample)
        out = []
        for endpoint, samples in sorted(grouped.items()):
            answered = [s.ms for s in samples if s.status]
            out.append(EndpointStats(
                endpoint=endpoint,
                count=len(samples),
                ok=sum(1 for s in samples if 200 <= s.status < 400),
                errors_4xx=sum(1 for s in samples if 400 <= s.status < 500),
                errors_5xx=sum(1 for s in samples if s.status >= 500),
                unavailable_503=sum(1 for s in samples if s.status == 503),
                unavailable_without_retry_after=sum(1 for s in samples if s.status == 503 and not s.retry_after),
                server_errors_500=sum(1 for s in samples if s.status >= 500 and s.status != 503),
                connection_errors=sum(1 for s in samples if s.status == CONNECTION_ERROR),
                p50=percentile(answered, 50), p95=percentile(answered, 95), p99=percentile(answered, 99),
            ))
        return out
