"""ASGI middleware: cookie sessions → ``request.state.principal`` (CSRF-checked), and security headers.

Cookie-authenticated unsafe requests (POST/PUT/PATCH/DELETE) must carry the session's CSRF token, either in the
``X-CSRF-Token`` header (fetch, tus-js-client) or in a ``csrf_token`` field of an urlencoded form. Bearer-token
requests never look at the cookie, so API clients are unaffected.
"""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs

import anyio
from sqlalchemy import select
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.core.config import get_settings
from service.core.db import session_scope
from service.core.security import Principal
from service.db.org import User
from service.web import sessions

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_BYTES = 1024 * 1024
_NO_CSP_PATHS = ("/docs", "/redoc")  # Swagger UI needs its CDN scripts; it carries no user content


def principal_for_user_id(user_id: str) -> Principal | None:
    """The active user behind a session, or None (deleted or deactivated since login)."""
    found = _session_user(user_id)
    return found[0] if found else None


def _session_user(user_id: str) -> tuple[Principal, bool] | None:
    """The active user behind a session and whether they must change their password first."""
    with session_scope() as db:
        row = db.execute(
            select(User.id, User.username, User.role, User.org_id, User.is_active, User.must_change_password)
            .where(User.id == uuid.UUID(user_id))
        ).first()
    if row is None or not row.is_active:
        return None
    principal = Principal(user_id=row.id, username=row.username, role=row.role, org_id=row.org_id)
    return principal, bool(row.must_change_password)


def content_security_policy() -> str:
    settings = get_settings()
    s3_host = settings.s3_public_endpoint or settings.s3_endpoint
    s3 = f" {'https' if settings.s3_secure else 'http'}://{s3_host}" if s3_host else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{s3}; media-src 'self' blob:{s3}; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


class WebSessionMiddleware:
    """Loads the cookie session, checks CSRF, exposes the principal, writes cookies and security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.csp = content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = scope.setdefault("state", {})
        state.update(web_session=None, cookie_out=None, csrf_ok=False)
        bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
        cookie = request.cookies.get(sessions.COOKIE_NAME)
        if cookie and not bearer:
            session = await anyio.to_thread.run_sync(sessions.load, cookie)
            state["web_session"] = session
            if session is not None:
                receive = await self._check_csrf(request, session, receive, state)
                found = None
                if session.user_id:
                    found = await anyio.to_thread.run_sync(_session_user, session.user_id)
                if found is not None:
                    if request.method in UNSAFE_METHODS and not state["csrf_ok"]:
                        await _csrf_refused(scope, receive, send)
                        return
                    state["principal"], state["must_change_password"] = found
        await self.app(scope, receive, self._wrap_send(scope, send, state))

    async def _check_csrf(
        self, request: Request, session: sessions.WebSession, receive: Receive, state: dict[str, object]
    ) -> Receive:
        if request.method not in UNSAFE_METHODS:
            state["csrf_ok"] = True
            return receive
        token = request.headers.get("x-csrf-token")
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if token is None and content_type == "application/x-www-form-urlencoded":
            body, receive = await _buffer_body(receive)
            token = parse_qs(body.decode("utf-8", "replace")).get("csrf_token", [None])[0]
        elif token is None and content_type == "multipart/form-data":  # a file form (e.g. a consent document)
            token, receive = await _multipart_token(receive)
        state["csrf_ok"] = sessions.csrf_matches(session, token)
        return receive

    def _wrap_send(self, scope: Scope, send: Send, state: dict[str, object]) -> Send:
        secure = scope.get("scheme") == "https" or get_settings().public_url.startswith("https://")
        path: str = scope.get("path", "")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if not path.startswith(_NO_CSP_PATHS):
                    headers.setdefault("Content-Security-Policy", self.csp)
                if secure:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                cookie_out = state.get("cookie_out")
                if isinstance(cookie_out, sessions.WebSession):
                    headers.append("Set-Cookie", _cookie(sessions.cookie_value(cookie_out), secure,
                                                         sessions.IDLE_TTL_SECONDS))
                elif cookie_out == "clear":
                    headers.append("Set-Cookie", _cookie("", secure, 0))
            await send(message)

        return wrapped


def _cookie(value: str, secure: bool, max_age: int) -> str:
    parts = [f"{sessions.COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


async def _buffer_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read an urlencoded form body (bounded) and hand the app a receive that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            break
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


_MULTIPART_TOKEN = re.compile(rb'Content-Disposition: form-data; name="csrf_token"\r\n\r\n([A-Za-z0-9_\-]{1,200})\r\n',
                              re.IGNORECASE)
#: The token must come in the form's first fields (it is the first hidden input of every form): only this much of a
#: multipart body is looked at, the rest streams through untouched.
MULTIPART_PEEK_BYTES = 16 * 1024


async def _multipart_token(receive: Receive) -> tuple[str | None, Receive]:
    """The ``csrf_token`` field of a multipart form, read from the body's first bytes, and a receive that replays
    them before passing the rest of the body through."""
    head: list[Message] = []
    seen = b""
    more = True
    while more and len(seen) < MULTIPART_PEEK_BYTES:
        message = await receive()
        head.append(message)
        if message["type"] != "http.request":
            break
        seen += message.get("body", b"")
        more = message.get("more_body", False)
        if _MULTIPART_TOKEN.search(seen):
            break
    found = _MULTIPART_TOKEN.search(seen)

    async def replay() -> Message:
        if head:
            return head.pop(0)
        return await receive()

    return (found.group(1).decode() if found else None), replay


async def _csrf_refused(scope: Scope, receive: Receive, send: Send) -> None:
    body = json.dumps({
        "type": "https://mediadesk.invalid/problems/csrf_failed", "title": "csrf failed", "status": 403,
        "code": "csrf_failed", "detail": "页面已过期或请求来源不可信，请刷新页面后重试 / "
        "missing or invalid CSRF token; reload the page and try again", "instance": scope.get("path", ""),
    }, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 403, "headers": [
        (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})
