"""Jinja2 environment (autoescaped) and ``render()``: every page gets the translator, principal, CSRF token, nav."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from service.core.security import Principal
from service.db.org import Role
from service.web import i18n, sessions

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.autoescape = True  # user text (captions, EXIF) is always shown as text


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested probe/EXIF JSON as ``(dotted.key, text)`` rows for a table (values stay text, never markup)."""
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in flatten(item, f"{prefix}{key}.")]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [row for i, item in enumerate(value) for row in flatten(item, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), "" if value is None else str(value)[:2000])]


templates.env.filters["flatten"] = flatten

#: role -> navigation entries (message key, path)
NAV: dict[Role, list[tuple[str, str]]] = {
    Role.submitter: [("nav.submissions", "/submissions"), ("nav.new_submission", "/submissions/new")],
    Role.editor: [("nav.review", "/review"), ("nav.dashboard", "/dashboard")],
    Role.admin: [("nav.review", "/review"), ("nav.dashboard", "/dashboard"), ("nav.submissions", "/submissions")],
    Role.outlet: [("nav.portal", "/portal")],
}


def csrf_token(request: Request) -> str:
    """The session's CSRF token, creating an anonymous session when the visitor has none (login form)."""
    session: sessions.WebSession | None = request.state.web_session
    if session is None:
        session = sessions.create()
        request.state.web_session = session
        request.state.cookie_out = session
    return session.csrf


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = i18n.lang_of(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    base = {
        "t": i18n.translator(lang),
        "lang": lang,
        "principal": principal,
        "csrf_token": csrf_token(request),
        "nav": NAV.get(principal.role, []) if principal else [],
        "path": request.url.path,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
