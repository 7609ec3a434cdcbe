"""Jinja2 environment (autoescaped) and ``render()``: every page gets the translator, principal, CSRF token, nav."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from service.core.beijing import BEIJING
from service.core.findings import FINDINGS
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


def duration_text(seconds: float | None) -> str:
    """``1:05`` / ``1:02:03`` for a video's length on tiles and players."""
    if not seconds:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1048576:.1f} MB"
    return f"{max(1, size // 1024)} KB"


def finding_kind(code: str) -> str:
    """``risk``, ``quality`` or ``fact``: the badge colour of a finding (facts are never painted as risks)."""
    found = FINDINGS.get(code)
    return found.kind.value if found else "fact"


def audit_value(field: str, value: Any, lang: str) -> str:
    """An audit field's value in words: a status or reason by its name, nothing as a dash, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if field == "review_status":
        return i18n.name("review_status", value, lang)
    if field == "reason_code":
        return i18n.name("reason", value, lang)
    if field in ("cluster_id", "replaced_by", "replaces"):  # another file: named on the page, never by its UUID
        return "✓"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


templates.env.filters["duration"] = duration_text
templates.env.filters["filesize"] = size_text

#: role -> navigation entries (message key, path)
NAV: dict[Role, list[tuple[str, str]]] = {
    Role.submitter: [("nav.submissions", "/submissions"), ("nav.new_submission", "/submissions/new"),
                     ("nav.reports", "/reports"), ("prov.dashboard", "/province")],
    Role.editor: [("nav.review", "/review"), ("nav.dashboard", "/dashboard"), ("nav.report_desk", "/desk/reports"),
                  ("nav.campaigns", "/campaigns")],
    Role.admin: [("nav.review", "/review"), ("nav.dashboard", "/dashboard"), ("nav.submissions", "/submissions"),
                 ("nav.report_desk", "/desk/reports"), ("nav.reports", "/reports"), ("nav.campaigns", "/campaigns"),
                 ("nav.users", "/admin/users"), ("nav.orgs", "/admin/orgs"), ("nav.audit", "/admin/audit")],
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


def campaign_switcher(request: Request) -> dict[str, Any] | None:
    """The header's campaign switcher: every campaign by name, and the one this browser chose (cookie ``campaign``;
    default: the one open for uploads)."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.campaigns.service import CAMPAIGN_COOKIE, chosen_campaign, list_campaigns
    from service.core.db import session_scope

    try:
        with session_scope() as session:
            campaigns = [(str(c.id), c.name) for c in list_campaigns(session)]
            current = chosen_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))
            return {"campaigns": campaigns, "current": str(current.id) if current else None}
    except SQLAlchemyError:  # an error page while the database is away still renders, without the switcher
        return None
#: Domains add per-page context here at import time (e.g. the notification bell's unread count): each hook gets the
#: request and the signed-in principal and returns extra template variables.
CONTEXT_HOOKS: list[Callable[[Request, Principal], dict[str, Any]]] = []


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = i18n.lang_of(request)
    principal: Principal | None = getattr(request.state, "principal", None)
    base = {
        "t": i18n.translator(lang),
        "name": lambda group, code: i18n.name(group, code, lang),
        "bj": lambda value, fmt="%Y-%m-%d %H:%M": i18n.beijing(value, lang, fmt),
        "detail": lambda text: i18n.detail_text(text, lang),
        "fkind": finding_kind,
        "beijing_tz": BEIJING,
        "paren": lambda value: f"（{value}）" if lang == "zh" else f" ({value})",
        "colon": "：" if lang == "zh" else ": ",
        "audit_value": lambda field, value: audit_value(field, value, lang),
        "lang": lang,
        "principal": principal,
        "csrf_token": csrf_token(request),
        "nav": NAV.get(principal.role, []) if principal else [],
        "switcher": campaign_switcher(request) if principal else None,
        "path": request.url.path,
    }
    for hook in CONTEXT_HOOKS if principal else ():
        assert principal is not None
        base.update(hook(request, principal))
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
