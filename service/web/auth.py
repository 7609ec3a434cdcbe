"""Login and logout for the web pages: argon2 check, per IP+username rate limit, new session id at login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from service.core.config import get_settings
from service.core.deps import SessionDep
from service.core.kv import get_redis
from service.core.security import hash_password, verify_password
from service.db.org import Role, User
from service.web import sessions
from service.web.deps import safe_next
from service.web.i18n import lang_of, translator
from service.web.templating import render

router = APIRouter(include_in_schema=False)

#: Verified when the username is unknown so that a miss costs as much time as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")

HOME_BY_ROLE = {Role.submitter: "/submissions", Role.editor: "/review", Role.admin: "/review", Role.outlet: "/portal"}


def _rate_limited(ip: str, username: str) -> bool:
    """Count this attempt; True when the caller made more than the allowed attempts in the current minute."""
    key = f"web:login:{ip}:{username.lower()[:120]}"
    client = get_redis()
    count = int(client.incr(key))
    if count == 1:
        client.expire(key, 60)
    return count > get_settings().login_rate_limit_per_minute


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name users see
    return render(request, "login.html", next=safe_next(next, ""), error=None, username="")


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=120)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002
) -> Response:
    t = translator(lang_of(request))
    if not request.state.csrf_ok:
        return render(request, "login.html", status_code=403, next=safe_next(next, ""), error=t("login.expired"),
                      username=username)
    ip = request.client.host if request.client else "unknown"
    if _rate_limited(ip, username):
        return render(request, "login.html", status_code=429, next=safe_next(next, ""),
                      error=t("login.rate_limited"), username=username)
    user = session.scalar(select(User).where(User.username == username.strip()))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        return render(request, "login.html", status_code=401, next=safe_next(next, ""), error=t("login.failed"),
                      username=username)
    old: sessions.WebSession | None = request.state.web_session
    if old is not None:
        sessions.destroy(old)
    request.state.cookie_out = sessions.create(str(user.id))
    get_redis().delete(f"web:login:{ip}:{username.lower()[:120]}")
    response = RedirectResponse(safe_next(next, HOME_BY_ROLE[user.role]), status_code=303)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    session: sessions.WebSession | None = request.state.web_session
    if session is not None and request.state.csrf_ok:
        sessions.destroy(session)
        request.state.cookie_out = "clear"
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None) -> Response:  # noqa: A002
    response = RedirectResponse(safe_next(next, "/"), status_code=303)
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/")
def home(request: Request) -> Response:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME_BY_ROLE[principal.role], status_code=303)
