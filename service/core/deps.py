"""Typed request dependencies: the DB session (committed by the request) and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from service.core import ratelimit
from service.core.db import new_session
from service.core.errors import Problem, forbidden, unauthorized
from service.core.security import Principal, authenticate_token
from service.db.org import Role


def get_db() -> Iterator[Session]:
    """One session per request: services flush, this commits once the endpoint returned without error."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]
#: The same session, committed *before* the response is sent. FastAPI's default ("request") scope exits a yield
#: dependency after the client has its answer, so a browser following a POST's redirect can read the page before the
#: change is committed, and a failed commit follows a 2xx. The reports' routes use this one.
CommittedSessionDep = Annotated[Session, Depends(get_db, scope="function")]


def get_principal(request: Request, session: SessionDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    principal: Principal | None = None
    if scheme.lower() == "bearer" and secret:
        ratelimit.check_failures(request, "token")
        principal = authenticate_token(session, secret.strip())
        if principal is None:
            ratelimit.note_failure(request, "token")
    elif (cookie_principal := getattr(request.state, "principal", None)) is not None:
        principal = cookie_principal  # set by the web session middleware (cookie + CSRF)
        if getattr(request.state, "must_change_password", False) and request.url.path != "/api/v1/account/password":
            raise Problem(403, "password_change_required", "管理员重置了您的密码，请先修改密码",
                          "an administrator reset your password: change it first")
    if principal is None:
        raise unauthorized()
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> object:
    """Dependency factory: the caller must hold one of ``roles``."""

    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise forbidden()
        return principal

    return Depends(check)


SubmitterDep = Annotated[Principal, require_roles(Role.submitter, Role.admin)]
StaffDep = Annotated[Principal, require_roles(Role.editor, Role.admin)]
UploaderDep = Annotated[Principal, require_roles(Role.submitter, Role.editor, Role.admin)]
AdminDep = Annotated[Principal, require_roles(Role.admin)]
OutletDep = Annotated[Principal, require_roles(Role.outlet, Role.admin)]
