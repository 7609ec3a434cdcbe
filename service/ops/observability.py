"""Per-request observability: X-Request-ID in and out, latency metrics by route template, one access log line,
an optional trace span; and the ``/metrics`` endpoint.

A pure ASGI middleware rather than ``BaseHTTPMiddleware``, so that streamed upload bodies pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import APIRouter, FastAPI, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.core.config import get_settings
from service.ops import logs, metrics, tracing

log = logging.getLogger("mediadesk.request")
router = APIRouter(tags=["operations"])

#: Client-chosen request ids are echoed only when harmless in logs and headers.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: Probes and scrapes would drown the access log; they are logged at DEBUG.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        status = 500  # what the client sees if the app raises before starting a response
        scope.setdefault("state", {})["request_id"] = request_id  # error responses quote it (request.state)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        start = time.perf_counter()
        with logs.bind(request_id=request_id), tracing.span(f"{scope['method']} request", request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - start
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                metrics.observe_request(scope["method"], route, status, elapsed)
                log.log(logging.DEBUG if route in _QUIET_ROUTES else logging.INFO, "%s %s %s", scope["method"],
                        route, status, extra={"method": scope["method"], "route": route, "status": status,
                                              "duration_ms": round(elapsed * 1000, 1)})


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def install(app: FastAPI) -> None:
    """Logging format, tracing, the middleware and ``/metrics`` (called by create_app)."""
    settings = get_settings()
    if settings.log_format == "json":
        logs.configure("json", settings.log_level)
    tracing.setup("mediadesk-api", settings.otel_endpoint)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(router)
