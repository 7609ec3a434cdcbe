"""Accounts API: admins manage users and organisations; every signed-in user changes their own password and sees
and ends their own web sessions. Every change is in the audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from service.accounts import importer, service
from service.accounts.schemas import (
    CountOut,
    ImportOut,
    ImportRowOut,
    OrgIn,
    OrgList,
    OrgOut,
    OrgPatch,
    PasswordChangeIn,
    ResetIn,
    ResetOut,
    RevokeIn,
    SessionOut,
    TokenOut,
    UserIn,
    UserList,
    UserOut,
    UserPatch,
)
from service.core.clientaddr import client_address
from service.core.config import get_settings
from service.core.deps import AdminDep, PrincipalDep, SessionDep
from service.core.errors import Problem
from service.db.org import OrgKind, Role, User
from service.web import sessions

router = APIRouter(prefix="/api/v1", tags=["accounts"])
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def user_out(user: User) -> UserOut:
    out = UserOut.model_validate(user)
    out.oidc_bound = user.oidc_subject is not None
    return out


def sessions_out(user_id: uuid.UUID, current_sid: str | None) -> list[SessionOut]:
    return [SessionOut(handle=s.handle, created_at=datetime.fromtimestamp(s.created, UTC), ip=s.ip, agent=s.agent,
                       current=s.sid == current_sid) for s in sessions.of_user(str(user_id))]


def _current_sid(request: Request) -> str | None:
    web: sessions.WebSession | None = getattr(request.state, "web_session", None)
    return web.sid if web else None


@router.get("/admin/users", response_model=UserList)
def list_users(principal: AdminDep, session: SessionDep, q: Annotated[str | None, Query(max_length=120)] = None,
               org_id: uuid.UUID | None = None, role: Role | None = None, active: bool | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> UserList:
    rows, total = service.list_users(session, q=q, org_id=org_id, role=role, active=active, limit=limit,
                                     offset=offset)
    return UserList(items=[user_out(u) for u in rows], total=total)


@router.post("/admin/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, request: Request, principal: AdminDep, session: SessionDep) -> UserOut:
    return user_out(service.create_user(session, actor=principal, username=body.username, role=body.role,
                                        org_id=body.org_id, display_name=body.display_name, password=body.password,
                                        ip=client_address(request)))


@router.get("/admin/users/{user_id}", response_model=UserOut)
def get_user(user_id: uuid.UUID, principal: AdminDep, session: SessionDep) -> UserOut:
    return user_out(service.get_user(session, user_id))


@router.patch("/admin/users/{user_id}", response_model=UserOut)
def update_user(user_id: uuid.UUID, body: UserPatch, request: Request, principal: AdminDep,
                session: SessionDep) -> UserOut:
    """Change role, organisation or display name; ``is_active`` deactivates or reactivates."""
    ip = client_address(request)
    user = service.update_user(session, actor=principal, user_id=user_id, role=body.role, org_id=body.org_id,
                               display_name=body.display_name, ip=ip)
    if body.is_active is not None:
        user = service.set_active(session, actor=principal, user_id=user_id, active=body.is_active, ip=ip)
    return user_out(user)


@router.post("/admin/users/{user_id}/password", response_model=ResetOut)
def reset_password(user_id: uuid.UUID, body: ResetIn, request: Request, principal: AdminDep,
                   session: SessionDep) -> ResetOut:
    """Set a one-time password, or (no password) issue a one-time reset link valid for 24 hours."""
    result = service.reset_password(session, actor=principal, user_id=user_id, password=body.password,
                                    ip=client_address(request))
    url = get_settings().public_url.rstrip("/") + result.reset_path if result.reset_path else None
    return ResetOut(mode=result.mode, reset_url=url)


@router.get("/admin/users/{user_id}/tokens", response_model=list[TokenOut])
def list_tokens(user_id: uuid.UUID, principal: AdminDep, session: SessionDep) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(session, user_id)]


@router.post("/admin/users/{user_id}/tokens/revoke", response_model=CountOut)
def revoke_tokens(user_id: uuid.UUID, body: RevokeIn, request: Request, principal: AdminDep,
                  session: SessionDep) -> CountOut:
    return CountOut(count=service.revoke_tokens(session, actor=principal, user_id=user_id, token_id=body.token_id,
                                                ip=client_address(request)))


@router.get("/admin/users/{user_id}/sessions", response_model=list[SessionOut])
def list_user_sessions(user_id: uuid.UUID, request: Request, principal: AdminDep,
                       session: SessionDep) -> list[SessionOut]:
    service.get_user(session, user_id)
    return sessions_out(user_id, _current_sid(request))


@router.delete("/admin/users/{user_id}/sessions", response_model=CountOut)
def end_user_sessions(user_id: uuid.UUID, request: Request, principal: AdminDep, session: SessionDep,
                      handle: Annotated[str | None, Query(max_length=40)] = None) -> CountOut:
    """End one session (``handle``) or all of them."""
    return CountOut(count=service.end_sessions(session, actor=principal, user_id=user_id, handle=handle,
                                               ip=client_address(request)))


@router.post("/admin/users/import", response_model=ImportOut)
async def import_users(request: Request, principal: AdminDep, session: SessionDep,
                       dry_run: bool = True) -> ImportOut:
    """CSV body (``username,role,org[,display_name,password]``). ``dry_run`` (the default) only reports per row."""
    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise Problem(413, "import_too_large", "文件过大（上限 2 MB）", "the file is too large (2 MB at most)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(422, "import_encoding", "文件须为 UTF-8 编码的 CSV", "the file must be UTF-8 CSV") from exc
    lang = "en" if "en" in request.headers.get("accept-language", "")[:2] else "zh"
    results = importer.import_users(session, actor=principal, text=text, dry_run=dry_run,
                                    ip=client_address(request))
    rows = [ImportRowOut(line=r.line, username=r.username, outcome=r.outcome, code=r.code,
                         reason=(r.reason_en if lang == "en" else r.reason_zh) if r.outcome == "error" else None,
                         user_id=None if dry_run else r.user_id) for r in results]
    return ImportOut(dry_run=dry_run, rows=rows, would_create=sum(r.outcome == "create" for r in results),
                     errors=sum(r.outcome == "error" for r in results))


@router.get("/admin/orgs", response_model=OrgList)
def list_orgs(principal: AdminDep, session: SessionDep, q: Annotated[str | None, Query(max_length=200)] = None,
              kind: OrgKind | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> OrgList:
    rows, total = service.list_orgs(session, q=q, kind=kind, limit=limit, offset=offset)
    return OrgList(items=[OrgOut.model_validate(o) for o in rows], total=total)


@router.post("/admin/orgs", response_model=OrgOut, status_code=201)
def create_org(body: OrgIn, request: Request, principal: AdminDep, session: SessionDep) -> OrgOut:
    return OrgOut.model_validate(service.create_org(session, actor=principal, name=body.name, kind=body.kind,
                                                    region_code=body.region_code, parent_id=body.parent_id,
                                                    ip=client_address(request)))


@router.patch("/admin/orgs/{org_id}", response_model=OrgOut)
def update_org(org_id: uuid.UUID, body: OrgPatch, request: Request, principal: AdminDep,
               session: SessionDep) -> OrgOut:
    fields = body.model_dump(include=body.model_fields_set)
    return OrgOut.model_validate(service.update_org(session, actor=principal, org_id=org_id, fields=fields,
                                                    ip=client_address(request)))


# the caller's own account ---------------------------------------------------------------------------------------
@router.post("/account/password", status_code=204)
def change_password(body: PasswordChangeIn, request: Request, principal: PrincipalDep,
                    session: SessionDep) -> Response:
    """Change your own password (the current one first); your other web sessions end."""
    service.change_own_password(session, principal=principal, current=body.current_password,
                                new=body.new_password, ip=client_address(request), keep_sid=_current_sid(request))
    return Response(status_code=204)


@router.get("/account/sessions", response_model=list[SessionOut])
def my_sessions(request: Request, principal: PrincipalDep) -> list[SessionOut]:
    return sessions_out(principal.user_id, _current_sid(request))


@router.delete("/account/sessions/{handle}", response_model=CountOut)
def end_my_session(handle: str, request: Request, principal: PrincipalDep, session: SessionDep) -> CountOut:
    return CountOut(count=service.end_sessions(session, actor=principal, user_id=principal.user_id, handle=handle,
                                               ip=client_address(request)))
