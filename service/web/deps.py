"""Page dependencies: a logged-in principal (else a redirect to the login page) with a given role."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from service.core.security import Principal
from service.db.org import Role
from service.web.templating import render


class LoginRequired(Exception):
    """Raised by page dependencies when no session user is present."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageForbidden(Exception):
    """The user is logged in but their role may not open this page."""


class PasswordChangeRequired(Exception):
    """An admin reset this user's password: every page leads to the change-password page until it is changed."""


OWN_CREDENTIALS_PAGE = "/account/password"


def web_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if getattr(request.state, "must_change_password", False) and request.url.path != OWN_CREDENTIALS_PAGE:
        raise PasswordChangeRequired()
    return principal


WebPrincipalDep = Annotated[Principal, Depends(web_principal)]


def require_page_roles(*roles: Role) -> object:
    def check(principal: WebPrincipalDep) -> Principal:
        if principal.role not in roles:
            raise PageForbidden()
        return principal

    return Depends(check)


EditorPage = Annotated[Principal, require_page_roles(Role.editor, Role.admin)]
AdminPage = Annotated[Principal, require_page_roles(Role.admin)]
SubmitterPage = Annotated[Principal, require_page_roles(Role.submitter, Role.admin)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: ``next=//evil.example`` or ``https://…`` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _change(request: Request, exc: PasswordChangeRequired) -> Response:
        return RedirectResponse(OWN_CREDENTIALS_PAGE, status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        from service.web import i18n

        message = i18n.translator(i18n.lang_of(request))("error.forbidden")
        return render(request, "error.html", status_code=403, message=message)
