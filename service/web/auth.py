"""Login and logout for the web pages: argon2 check, rate limits per name and per address, new session id at login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from service.accounts import oidc
from service.core.clientaddr import client_address
from service.core.config import get_settings
from service.core.deps import SessionDep
from service.core.kv import get_redis
from service.core.security import normalize_username, verify_password
from service.db.org import Role, User
from service.web import sessions
from service.web.deps import OWN_CREDENTIALS_PAGE, safe_next
from service.web.i18n import lang_of, translator
from service.web.templating import render

router = APIRouter(include_in_schema=False)

HOME_BY_ROLE = {Role.submitter: "/submissions", Role.editor: "/review", Role.admin: "/review", Role.outlet: "/portal"}


def _limit_keys(ip: str, name: str) -> tuple[str, str]:
    # Keyed on the normalised name the lookup uses: " NAME", "\tname" and "name" share one counter.
    return f"web:login:{ip}:{name[:120]}", f"web:login-ip:{ip}"


def _rate_limited(ip: str, name: str) -> bool:
    """Count this attempt; True when this address made too many attempts at this name, or at any name, this minute."""
    settings = get_settings()
    pipe = get_redis().pipeline()
    for key in _limit_keys(ip, name):
        pipe.set(key, 0, ex=60, nx=True)  # starts the window once; INCR counts inside it
        pipe.incr(key)
    _, per_name, _, per_address = pipe.execute()
    return int(per_name) > settings.login_rate_limit_per_minute or \
        int(per_address) > settings.login_rate_limit_per_address_per_minute


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name users see
    return render(request, "login.html", next=safe_next(next, ""), error=None, username="", oidc=oidc.enabled())


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
    ip = client_address(request)
    name = normalize_username(username)
    if _rate_limited(ip, name):
        return render(request, "login.html", status_code=429, next=safe_next(next, ""),
                      error=t("login.rate_limited"), username=username)
    user = session.scalar(select(User).where(User.username == name)) if name else None
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return render(request, "login.html", status_code=401, next=safe_next(next, ""), error=t("login.failed"),
                      username=username)
    start_session(request, user, ip)
    # Only failures count: a school's staff behind one NAT address signing in at 9 a.m. are not a password spray.
    per_name, per_address = _limit_keys(ip, name)
    pipe = get_redis().pipeline()
    pipe.delete(per_name)
    pipe.decr(per_address)
    pipe.execute()
    return _after_login(user, next)


def start_session(request: Request, user: User, ip: str) -> None:
    """A new session id at every login (no fixation); the anonymous one goes."""
    old: sessions.WebSession | None = request.state.web_session
    if old is not None:
        sessions.destroy(old)
    request.state.cookie_out = sessions.create(str(user.id), ip=ip, agent=request.headers.get("user-agent", ""))


def _after_login(user: User, next_path: str) -> Response:
    if user.must_change_password:
        return RedirectResponse(OWN_CREDENTIALS_PAGE, status_code=303)
    return RedirectResponse(safe_next(next_path, HOME_BY_ROLE[user.role]), status_code=303)


@router.get("/login/oidc")
def login_oidc(request: Request, next: str | None = None) -> Response:  # noqa: A002
    """Send the browser to the identity provider (404 where none is configured)."""
    t = translator(lang_of(request))
    if not oidc.enabled():
        return render(request, "login.html", status_code=404, next=safe_next(next, ""),
                      error=t("login.oidc.off"), username="")
    try:
        return RedirectResponse(oidc.authorization_url(safe_next(next, "")), status_code=303)
    except oidc.OidcError as exc:
        return render(request, "login.html", status_code=502, next=safe_next(next, ""),
                      error=t(f"login.oidc.{exc.code}"), username="")


@router.get(oidc.CALLBACK_PATH)
def login_oidc_callback(request: Request, session: SessionDep, code: str = "", state: str = "",
                        error: str = "") -> Response:
    """The provider sends the browser back here with a code; any failure shows the login page with a reason."""
    t = translator(lang_of(request))
    ip = client_address(request)
    try:
        if error or not code:
            raise oidc.OidcError("provider_refused")
        signed_in = oidc.complete(session, code=code[:2000], state=state, ip=ip)
    except oidc.OidcError as exc:
        return render(request, "login.html", status_code=403 if exc.code != "provider_unreachable" else 502,
                      next="", error=t(f"login.oidc.{exc.code}"), username="")
    start_session(request, signed_in.user, ip)
    return _after_login(signed_in.user, signed_in.next_path)


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
