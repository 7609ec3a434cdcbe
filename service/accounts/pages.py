"""Account pages: admins manage users and organisations; every user changes their own password and ends their own
sessions; a reset link's holder sets a new password. The API (service.accounts.endpoints) does the same work."""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from service.accounts import importer, service
from service.accounts.endpoints import sessions_out
from service.core.clientaddr import client_address
from service.core.config import get_settings
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.db.org import Organization, OrgKind, Role
from service.web import i18n, sessions
from service.web.deps import AdminPage, WebPrincipalDep
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({
    "nav.users": ("用户管理", "Users"),
    "nav.orgs": ("单位管理", "Organisations"),
    "nav.audit": ("审计日志", "Audit log"),
    "acct.users": ("用户管理", "Users"),
    "acct.orgs": ("单位管理", "Organisations"),
    "acct.username": ("用户名", "User name"),
    "acct.display_name": ("姓名", "Name"),
    "acct.role": ("角色", "Role"),
    "acct.org": ("所属单位", "Organisation"),
    "acct.state": ("状态", "State"),
    "acct.active": ("正常", "Active"),
    "acct.inactive": ("已停用", "Deactivated"),
    "acct.must_change": ("须修改密码", "Must change password"),
    "acct.new_user": ("新建用户", "New user"),
    "acct.one_time_password": ("一次性密码（留空则不设密码）", "One-time password (empty: none)"),
    "acct.create": ("创建", "Create"),
    "acct.save": ("保存", "Save"),
    "acct.deactivate": ("停用", "Deactivate"),
    "acct.reactivate": ("启用", "Reactivate"),
    "acct.reset_link": ("生成重置链接", "Issue a reset link"),
    "acct.reset_password": ("设置一次性密码", "Set a one-time password"),
    "acct.revoke_tokens": ("吊销全部令牌", "Revoke every token"),
    "acct.end_sessions": ("结束全部会话", "End every session"),
    "acct.end_session": ("结束", "End"),
    "acct.tokens": ("API 令牌", "API tokens"),
    "acct.token_name": ("名称", "Name"),
    "acct.created": ("创建时间", "Created"),
    "acct.last_used": ("最近使用", "Last used"),
    "acct.revoked": ("已吊销", "Revoked"),
    "acct.sessions": ("登录会话", "Web sessions"),
    "acct.ip": ("IP 地址", "IP address"),
    "acct.agent": ("浏览器", "Browser"),
    "acct.current": ("当前会话", "This session"),
    "acct.import": ("批量导入用户", "Import users"),
    "acct.import_help": ("CSV 表头：username,role,org[,display_name,password]；先试运行查看每行结果。",
                         "CSV header: username,role,org[,display_name,password]; dry-run first to see each row."),
    "acct.dry_run": ("试运行", "Dry run"),
    "acct.import_now": ("正式导入", "Import"),
    "acct.line": ("行号", "Line"),
    "acct.outcome": ("结果", "Outcome"),
    "acct.outcome.create": ("将创建", "Would create"),
    "acct.outcome.created": ("已创建", "Created"),
    "acct.outcome.error": ("错误", "Error"),
    "acct.reason": ("原因", "Reason"),
    "acct.saved": ("已保存", "Saved"),
    "acct.reset_link_is": ("重置链接（24 小时内有效，仅显示一次）：", "Reset link (valid 24 hours, shown once): "),
    "acct.password": ("修改密码", "Change password"),
    "acct.must_change_note": ("管理员重置了您的密码，请先设置新密码。",
                              "An administrator reset your password: choose a new one first."),
    "acct.current_password": ("当前密码", "Current password"),
    "acct.new_password": ("新密码", "New password"),
    "acct.new_password_again": ("再次输入新密码", "New password again"),
    "acct.mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "acct.policy": ("至少 12 个字符；不能是用户名；不能是常见密码；不能全是同一类字符。",
                    "At least 12 characters; not the user name; not a common password; not all one kind of character."),
    "acct.changed": ("密码已修改", "Password changed"),
    "acct.my_sessions": ("我的登录会话", "My web sessions"),
    "acct.new_org": ("新建单位", "New organisation"),
    "acct.org_name": ("单位名称", "Name"),
    "acct.org_kind": ("类型", "Kind"),
    "acct.region": ("行政区划代码", "Region code"),
    "acct.parent": ("上级单位", "Parent"),
    "acct.none": ("无", "None"),
    "acct.search": ("查找", "Search"),
    "acct.reset_title": ("设置新密码", "Set a new password"),
    "acct.members": ("本单位用户", "Users of this organisation"),
    "org_kind.province": ("省级教育行政部门", "Provincial department"),
    "org_kind.committee": ("行指委/教指委", "Teaching committee"),
    "org_kind.school": ("学校", "School"),
    "org_kind.department": ("部门", "Department"),
    "org_kind.outlet": ("媒体", "Media outlet"),
    "org_kind.ministry": ("教育部", "Ministry"),
})


def _t(request: Request) -> i18n.Translator:
    return i18n.translator(i18n.lang_of(request))


def _problem_text(request: Request, problem: Problem) -> str:
    return i18n.detail_text(problem.detail, i18n.lang_of(request))


def _sid(request: Request) -> str | None:
    web: sessions.WebSession | None = getattr(request.state, "web_session", None)
    return web.sid if web else None


# the user's own account ------------------------------------------------------------------------------------------
@router.get("/account/password")
def password_form(request: Request, principal: WebPrincipalDep) -> Response:
    return render(request, "accounts/password.html", error=None, done=request.query_params.get("msg") == "changed",
                  must=getattr(request.state, "must_change_password", False),
                  my_sessions=sessions_out(principal.user_id, _sid(request)))


@router.post("/account/password")
def change_password(request: Request, principal: WebPrincipalDep, session: SessionDep,
                    current_password: Annotated[str, Form(max_length=1000)] = "",
                    new_password: Annotated[str, Form(max_length=1000)] = "",
                    new_password_again: Annotated[str, Form(max_length=1000)] = "") -> Response:
    error = None
    if new_password != new_password_again:
        error = _t(request)("acct.mismatch")
    else:
        try:
            service.change_own_password(session, principal=principal, current=current_password, new=new_password,
                                        ip=client_address(request), keep_sid=_sid(request))
        except Problem as problem:
            session.rollback()
            error = _problem_text(request, problem)
    if error:
        return render(request, "accounts/password.html", status_code=422, error=error, done=False,
                      must=getattr(request.state, "must_change_password", False),
                      my_sessions=sessions_out(principal.user_id, _sid(request)))
    return RedirectResponse("/account/password?msg=changed", status_code=303)


@router.post("/account/sessions/{handle}/end")
def end_my_session(handle: str, request: Request, principal: WebPrincipalDep, session: SessionDep) -> Response:
    with contextlib.suppress(Problem):  # already ended: the list shows what is left
        service.end_sessions(session, actor=principal, user_id=principal.user_id, handle=handle[:40],
                             ip=client_address(request))
    return RedirectResponse("/account/password", status_code=303)


@router.get("/account/reset/{token}")
def reset_form(token: str, request: Request, session: SessionDep) -> Response:
    user = service.user_for_reset_token(session, token)
    return render(request, "accounts/reset.html", status_code=200 if user else 410, token=token, valid=bool(user),
                  error=None if user else _t(request)("login.oidc.state_invalid"))


@router.post("/account/reset/{token}")
def reset_submit(token: str, request: Request, session: SessionDep,
                 new_password: Annotated[str, Form(max_length=1000)] = "",
                 new_password_again: Annotated[str, Form(max_length=1000)] = "") -> Response:
    if not request.state.csrf_ok:
        return render(request, "accounts/reset.html", status_code=403, token=token, valid=True,
                      error=_t(request)("login.expired"))
    if new_password != new_password_again:
        return render(request, "accounts/reset.html", status_code=422, token=token, valid=True,
                      error=_t(request)("acct.mismatch"))
    try:
        service.use_reset_token(session, token=token, new_password=new_password, ip=client_address(request))
    except Problem as problem:
        session.rollback()
        return render(request, "accounts/reset.html", status_code=problem.status, token=token,
                      valid=problem.status != 410, error=_problem_text(request, problem))
    return RedirectResponse("/login", status_code=303)


# admins: users ----------------------------------------------------------------------------------------------------
@router.get("/admin/users")
def users_page(request: Request, principal: AdminPage, session: SessionDep, q: str = "", msg: str = "") -> Response:
    users, total = service.list_users(session, q=q[:120] or None, limit=500)
    orgs, _ = service.list_orgs(session, limit=1000)
    return render(request, "accounts/users.html", users=users, total=total, orgs=orgs, roles=list(Role), q=q,
                  error=None, msg=msg)


@router.post("/admin/users")
def create_user_form(request: Request, principal: AdminPage, session: SessionDep,
                     username: Annotated[str, Form(max_length=120)] = "",
                     role: Annotated[str, Form(max_length=20)] = "",
                     org_id: Annotated[str, Form(max_length=40)] = "",
                     display_name: Annotated[str, Form(max_length=200)] = "",
                     password: Annotated[str, Form(max_length=1000)] = "") -> Response:
    try:
        try:
            role_value, org_value = Role(role), uuid.UUID(org_id)
        except ValueError as exc:
            raise Problem(422, "validation_error", "请选择角色和单位", "choose a role and an organisation") from exc
        user = service.create_user(session, actor=principal, username=username, role=role_value, org_id=org_value,
                                   display_name=display_name, password=password or None, ip=client_address(request))
    except Problem as problem:
        session.rollback()
        users, total = service.list_users(session, limit=500)
        orgs, _ = service.list_orgs(session, limit=1000)
        return render(request, "accounts/users.html", status_code=422, users=users, total=total, orgs=orgs,
                      roles=list(Role), q="", error=_problem_text(request, problem), msg="")
    return RedirectResponse(f"/admin/users/{user.id}?msg=saved", status_code=303)


def _user_page(request: Request, session: SessionDep, user_id: uuid.UUID, *, status_code: int = 200,
               error: str | None = None, reset_url: str | None = None) -> Response:
    user = service.get_user(session, user_id)
    orgs, _ = service.list_orgs(session, limit=1000)
    return render(request, "accounts/user.html", status_code=status_code, user=user, orgs=orgs, roles=list(Role),
                  tokens=service.list_tokens(session, user_id), user_sessions=sessions_out(user_id, _sid(request)),
                  error=error, reset_url=reset_url, msg=request.query_params.get("msg", ""))


@router.get("/admin/users/{user_id}")
def user_page(user_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    return _user_page(request, session, user_id)


@router.post("/admin/users/{user_id}")
def user_action(user_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep,
                action: Annotated[str, Form(max_length=30)] = "save",
                role: Annotated[str, Form(max_length=20)] = "",
                org_id: Annotated[str, Form(max_length=40)] = "",
                display_name: Annotated[str, Form(max_length=200)] = "",
                password: Annotated[str, Form(max_length=1000)] = "",
                handle: Annotated[str, Form(max_length=40)] = "") -> Response:
    """One form action per button: save, deactivate, reactivate, reset, revoke_tokens, end_sessions, end_session."""
    ip = client_address(request)
    reset_url = None
    try:
        if action == "save":
            try:
                role_value = Role(role) if role else None
                org_value = uuid.UUID(org_id) if org_id else None
            except ValueError as exc:
                raise Problem(422, "validation_error", "角色或单位无效", "invalid role or organisation") from exc
            service.update_user(session, actor=principal, user_id=user_id, role=role_value, org_id=org_value,
                                display_name=display_name, ip=ip)
        elif action in ("deactivate", "reactivate"):
            service.set_active(session, actor=principal, user_id=user_id, active=action == "reactivate", ip=ip)
        elif action == "reset":
            result = service.reset_password(session, actor=principal, user_id=user_id, password=password or None,
                                            ip=ip)
            if result.reset_path:
                reset_url = get_settings().public_url.rstrip("/") + result.reset_path
        elif action == "revoke_tokens":
            service.revoke_tokens(session, actor=principal, user_id=user_id, ip=ip)
        elif action in ("end_sessions", "end_session"):
            service.end_sessions(session, actor=principal, user_id=user_id,
                                 handle=handle if action == "end_session" else None, ip=ip)
        else:
            raise Problem(422, "validation_error", "未知操作", "unknown action")
    except Problem as problem:
        session.rollback()
        if problem.status == 404 and action not in ("end_session", "end_sessions"):
            raise
        return _user_page(request, session, user_id, status_code=problem.status, error=_problem_text(request, problem))
    if reset_url:
        session.commit()  # the page shows the link once; it must exist when the admin copies it
        return _user_page(request, session, user_id, reset_url=reset_url)
    return RedirectResponse(f"/admin/users/{user_id}?msg=saved", status_code=303)


@router.get("/admin/users-import")
def import_page(request: Request, principal: AdminPage) -> Response:
    return render(request, "accounts/import.html", rows=None, text="", dry_run=True, error=None)


@router.post("/admin/users-import")
def import_submit(request: Request, principal: AdminPage, session: SessionDep,
                  text: Annotated[str, Form(max_length=2 * 1024 * 1024)] = "",
                  action: Annotated[str, Form(max_length=20)] = "dry_run") -> Response:
    dry_run = action != "import"
    rows: list[importer.RowResult] | None
    try:
        rows = importer.import_users(session, actor=principal, text=text, dry_run=dry_run,
                                     ip=client_address(request))
    except Problem as problem:
        session.rollback()
        rows_raw = problem.extra.get("rows")
        rows = [importer.RowResult(**r) for r in rows_raw] if isinstance(rows_raw, list) else None
        return render(request, "accounts/import.html", status_code=422, rows=rows, text=text, dry_run=dry_run,
                      error=_problem_text(request, problem))
    return render(request, "accounts/import.html", rows=rows, text="" if not dry_run else text, dry_run=dry_run,
                  error=None)


# admins: organisations -------------------------------------------------------------------------------------------
@router.get("/admin/orgs")
def orgs_page(request: Request, principal: AdminPage, session: SessionDep, q: str = "") -> Response:
    orgs, total = service.list_orgs(session, q=q[:200] or None, limit=1000)
    return render(request, "accounts/orgs.html", orgs=orgs, total=total, kinds=list(OrgKind), q=q, error=None,
                  names={o.id: o.name for o in orgs})


@router.post("/admin/orgs")
def create_org_form(request: Request, principal: AdminPage, session: SessionDep,
                    name: Annotated[str, Form(max_length=200)] = "",
                    kind: Annotated[str, Form(max_length=20)] = "",
                    region_code: Annotated[str, Form(max_length=6)] = "",
                    parent_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        try:
            kind_value = OrgKind(kind)
            parent = uuid.UUID(parent_id) if parent_id else None
        except ValueError as exc:
            raise Problem(422, "validation_error", "请选择单位类型", "choose the kind of organisation") from exc
        service.create_org(session, actor=principal, name=name, kind=kind_value, region_code=region_code or None,
                           parent_id=parent, ip=client_address(request))
    except Problem as problem:
        session.rollback()
        orgs, total = service.list_orgs(session, limit=1000)
        return render(request, "accounts/orgs.html", status_code=422, orgs=orgs, total=total, kinds=list(OrgKind),
                      q="", error=_problem_text(request, problem), names={o.id: o.name for o in orgs})
    return RedirectResponse("/admin/orgs", status_code=303)


@router.get("/admin/orgs/{org_id}")
def org_page(org_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    return _org_page(request, session, org_id)


def _org_page(request: Request, session: SessionDep, org_id: uuid.UUID, *, status_code: int = 200,
              error: str | None = None) -> Response:
    org = session.get(Organization, org_id)
    if org is None:
        raise Problem(404, "not_found", "未找到该单位", "organisation not found")
    orgs, _ = service.list_orgs(session, limit=1000)
    members, _ = service.list_users(session, org_id=org_id, limit=500)
    return render(request, "accounts/org.html", status_code=status_code, org=org, orgs=orgs, kinds=list(OrgKind),
                  members=members, error=error, msg=request.query_params.get("msg", ""))


@router.post("/admin/orgs/{org_id}")
def update_org_form(org_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep,
                    name: Annotated[str, Form(max_length=200)] = "",
                    kind: Annotated[str, Form(max_length=20)] = "",
                    region_code: Annotated[str, Form(max_length=6)] = "",
                    parent_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    try:
        try:
            fields: dict[str, object] = {"region_code": region_code or None,
                                         "parent_id": uuid.UUID(parent_id) if parent_id else None}
            if name:
                fields["name"] = name
            if kind:
                fields["kind"] = OrgKind(kind)
        except ValueError as exc:
            raise Problem(422, "validation_error", "单位类型或上级单位无效", "invalid kind or parent") from exc
        service.update_org(session, actor=principal, org_id=org_id, fields=fields, ip=client_address(request))
    except Problem as problem:
        session.rollback()
        if problem.status == 404:
            raise
        return _org_page(request, session, org_id, status_code=problem.status,
                         error=_problem_text(request, problem))
    return RedirectResponse(f"/admin/orgs/{org_id}?msg=saved", status_code=303)
