"""Query strings with control characters are refused (422) before any endpoint or page sees them.

Every query parameter of every route (API and pages) is text that may reach PostgreSQL, which refuses NUL outright;
one check here instead of one per parameter. Bodies are cleaned by their schemas (``service.core.text``).
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Receive, Scope, Send

from service.core.errors import Problem
from service.core.text import has_control


def bad_query() -> Problem:
    return Problem(422, "control_character", "查询参数含有控制字符", "the query string contains control characters")


class QueryTextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if raw and has_control(unquote_plus(raw.decode("utf-8", errors="replace"))):
            request_id = scope.get("state", {}).get("request_id")
            await bad_query().response(scope.get("path"), request_id)(scope, receive, send)
            return
        await self.app(scope, receive, send)
