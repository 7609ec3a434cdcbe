"""Optional OpenTelemetry traces, on only when ``MEDIADESK_OTEL_ENDPOINT`` is set.

The SDK and the OTLP/HTTP exporter are imported lazily: a deployment without them (or with tracing off) pays nothing,
and a missing package is logged once instead of breaking startup.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

_tracer: Any = None
_provider: Any = None


def setup(service_name: str, endpoint: str | None) -> bool:
    """Install a tracer provider exporting to ``endpoint`` (OTLP/HTTP); False when tracing stays off."""
    global _tracer, _provider
    if not endpoint:
        return False
    if _tracer is not None:
        return True
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("MEDIADESK_OTEL_ENDPOINT is set but opentelemetry-sdk / the OTLP exporter is not installed; "
                    "tracing stays off (pip install 'mediadesk[otel]')")
        return False
    _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    trace.set_tracer_provider(_provider)
    _tracer = trace.get_tracer("mediadesk")
    return True


@contextmanager
def span(name: str, **attributes: str | int | float) -> Iterator[None]:
    """A span around the enclosed code when tracing is on; nothing otherwise."""
    if _tracer is None:
        yield
        return
    with _tracer.start_as_current_span(name, attributes=attributes):
        yield


def start_span(name: str, **attributes: str | int | float) -> Any:
    """A span the caller ends itself (Celery's prerun/postrun signals); None when tracing is off."""
    return None if _tracer is None else _tracer.start_span(name, attributes=attributes)


def flush(timeout_ms: int = 5000) -> None:
    if _provider is not None:
        _provider.force_flush(timeout_ms)
