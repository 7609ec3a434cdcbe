"""Admin actions on users and organisations, and a user's own password; every change is written to the audit log.

Services flush, the request commits (house style). A password set by an admin (create, reset, import) is one-time:
the user must choose their own at the next login. Deactivating a user ends their web sessions at once; their API
tokens stop working because every token check looks at ``is_active``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from service.admin import service as admin
from service.core import audit
from service.core.errors import Problem, not_found
from service.core.kv import get_redis
from service.core.passwords import PasswordRejected, check_password
from service.core.security import Principal, hash_password, normalize_username, verify_password
from service.db.org import ApiToken, Organization, OrgKind, Role, User
from service.web import sessions

RESET_TTL_SECONDS = 24 * 3600
_RESET_PREFIX = "account:reset:"


def policy_problem(exc: PasswordRejected) -> Problem:
    return Problem(422, exc.code, exc.zh, exc.en)


def admin_problem(exc: admin.AdminError) -> Problem:
    return Problem(422, "invalid_account", f"请求无效（{exc}）", str(exc))


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise not_found("user")
    return user


def list_users(session: Session, *, q: str | None = None, org_id: uuid.UUID | None = None, role: Role | None = None,
               active: bool | None = None, limit: int = 100, offset: int = 0) -> tuple[list[User], int]:
    query = select(User)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if org_id is not None:
        query = query.where(User.org_id == org_id)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset)).unique()
    return list(rows), total


def _checked_password(password: str, username: str) -> str:
    try:
        check_password(password, username)
    except PasswordRejected as exc:
        raise policy_problem(exc) from exc
    return hash_password(password)


def create_user(session: Session, *, actor: Principal, username: str, role: Role, org_id: uuid.UUID,
                display_name: str = "", password: str | None = None, ip: str | None = None) -> User:
    """A new account; a password given here is one-time (changed at the first login)."""
    if password is not None:
        _checked_password(password, normalize_username(username))
    try:
        user = admin.create_user(session, username=username, role=role, org=str(org_id), password=password,
                                 display_name=display_name)
    except admin.AdminError as exc:
        raise admin_problem(exc) from exc
    user.must_change_password = password is not None
    session.flush()
    audit.record(session, actor=actor, action="user.create", target_kind="user", target_id=user.id,
                 org_id=user.org_id, ip=ip, detail={"role": role.value, "with_password": password is not None})
    return user


def update_user(session: Session, *, actor: Principal, user_id: uuid.UUID, role: Role | None = None,
                org_id: uuid.UUID | None = None, display_name: str | None = None, ip: str | None = None) -> User:
    user = get_user(session, user_id)
    changes: dict[str, Any] = {}
    if org_id is not None and org_id != user.org_id:
        org = session.get(Organization, org_id)
        if org is None:
            raise Problem(422, "unknown_org", "所选单位不存在", "no such organisation")
        changes["org_id"] = {"from": str(user.org_id), "to": str(org_id)}
        user.org_id = org_id
        session.flush()
        session.refresh(user)
    if role is not None and role != user.role:
        if user.id == actor.user_id:
            raise Problem(409, "own_role", "不能修改自己的角色", "you cannot change your own role")
        changes["role"] = {"from": user.role.value, "to": role.value}
        user.role = role
    if display_name is not None and display_name.strip() != user.display_name:
        changes["display_name"] = True  # a person's name: the log says that it changed, not to what
        user.display_name = display_name.strip()
    if user.role == Role.outlet and user.org.kind != OrgKind.outlet:
        raise Problem(422, "outlet_needs_outlet_org", "媒体用户须属于媒体单位",
                      "outlet users must belong to an organisation of kind 'outlet'")
    if changes:
        session.flush()
        audit.record(session, actor=actor, action="user.edit", target_kind="user", target_id=user.id,
                     org_id=user.org_id, ip=ip, detail={"fields": sorted(changes), **{
                         k: v for k, v in changes.items() if isinstance(v, dict)}})
    return user


def set_active(session: Session, *, actor: Principal, user_id: uuid.UUID, active: bool,
               ip: str | None = None) -> User:
    """Deactivate (web sessions end now, tokens stop working) or reactivate an account."""
    user = get_user(session, user_id)
    if not active and user.id == actor.user_id:
        raise Problem(409, "deactivate_self", "不能停用自己的账号", "you cannot deactivate your own account")
    if user.is_active == active:
        return user
    user.is_active = active
    session.flush()
    ended = 0 if active else sessions.end_user_sessions(str(user.id))
    audit.record(session, actor=actor, action="user.reactivate" if active else "user.deactivate", target_kind="user",
                 target_id=user.id, org_id=user.org_id, ip=ip, detail={"sessions_ended": ended})
    return user


@dataclass(frozen=True)
class ResetResult:
    mode: str  # "password" (the admin set a one-time password) or "link" (a one-time reset link)
    reset_path: str | None = None


def _reset_key(token: str) -> str:
    return _RESET_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def reset_password(session: Session, *, actor: Principal, user_id: uuid.UUID, password: str | None,
                   ip: str | None = None) -> ResetResult:
    """Either set a one-time password, or issue a reset link valid for 24 hours; the user's sessions end either way."""
    user = get_user(session, user_id)
    result: ResetResult
    if password is not None:
        user.password_hash = _checked_password(password, user.username)
        user.must_change_password = True
        user.password_changed_at = datetime.now(UTC)
        result = ResetResult("password")
    else:
        token = secrets.token_urlsafe(32)
        get_redis().set(_reset_key(token), str(user.id), ex=RESET_TTL_SECONDS)
        result = ResetResult("link", f"/account/reset/{token}")
    session.flush()
    ended = sessions.end_user_sessions(str(user.id))
    audit.record(session, actor=actor, action="user.password_reset", target_kind="user", target_id=user.id,
                 org_id=user.org_id, ip=ip, detail={"mode": result.mode, "sessions_ended": ended})
    return result


def user_for_reset_token(session: Session, token: str) -> User | None:
    raw = get_redis().get(_reset_key(token)) if 20 <= len(token) <= 100 else None
    user = session.get(User, uuid.UUID(str(raw))) if raw else None
    return user if user is not None and user.is_active else None


def use_reset_token(session: Session, *, token: str, new_password: str, ip: str | None = None) -> User:
    """Set the password a reset link's holder chose; the link works once."""
    user = user_for_reset_token(session, token)
    if user is None:
        raise Problem(410, "reset_link_invalid", "重置链接无效或已过期，请联系管理员",
                      "the reset link is invalid or has expired; ask an administrator")
    _set_own(session, user, new_password, ip=ip, via="reset_link")
    get_redis().delete(_reset_key(token))
    return user


def _set_own(session: Session, user: User, new_password: str, *, ip: str | None, via: str) -> None:
    if user.password_hash and verify_password(user.password_hash, new_password):
        raise Problem(422, "password_unchanged", "新密码不能与当前密码相同",
                      "the new password must differ from the current one")
    user.password_hash = _checked_password(new_password, user.username)
    user.must_change_password = False
    user.password_changed_at = datetime.now(UTC)
    session.flush()
    principal = Principal(user_id=user.id, username=user.username, role=user.role, org_id=user.org_id)
    audit.record(session, actor=principal, action="user.password_change", target_kind="user", target_id=user.id,
                 org_id=user.org_id, ip=ip, detail={"via": via})


def change_own_password(session: Session, *, principal: Principal, current: str, new: str,
                        ip: str | None = None, keep_sid: str | None = None) -> None:
    """The user's own change: the current password first; their other web sessions end."""
    user = get_user(session, principal.user_id)
    if not verify_password(user.password_hash, current):
        raise Problem(422, "wrong_password", "当前密码不正确", "the current password is not correct")
    _set_own(session, user, new, ip=ip, via="self")
    for other in sessions.of_user(str(user.id)):
        if other.sid != keep_sid:
            sessions.destroy(other)


def list_tokens(session: Session, user_id: uuid.UUID) -> list[ApiToken]:
    get_user(session, user_id)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                .order_by(ApiToken.created_at.desc())).unique())


def revoke_tokens(session: Session, *, actor: Principal, user_id: uuid.UUID, token_id: uuid.UUID | None = None,
                  ip: str | None = None) -> int:
    """Revoke one token or every live token of the user; returns how many were revoked."""
    user = get_user(session, user_id)
    query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    count = int(session.execute(query.values(revoked_at=datetime.now(UTC))).rowcount)  # type: ignore[attr-defined]
    if token_id is not None and count == 0:
        raise not_found("token")
    if count:
        audit.record(session, actor=actor, action="user.tokens_revoke", target_kind="user", target_id=user.id,
                     org_id=user.org_id, ip=ip, detail={"count": count,
                                                        "token_id": str(token_id) if token_id else None})
    return count


def end_sessions(session: Session, *, actor: Principal, user_id: uuid.UUID, handle: str | None = None,
                 ip: str | None = None) -> int:
    """End one (``handle``) or all of the user's web sessions (admin, or the user for their own)."""
    user = get_user(session, user_id)
    count = sessions.end_user_sessions(str(user.id), handle)
    if handle is not None and count == 0:
        raise not_found("session")
    if count:
        audit.record(session, actor=actor, action="user.sessions_end", target_kind="user", target_id=user.id,
                     org_id=user.org_id, ip=ip, detail={"count": count})
    return count


# organisations ---------------------------------------------------------------------------------------------------
def create_org(session: Session, *, actor: Principal, name: str, kind: OrgKind, region_code: str | None = None,
               parent_id: uuid.UUID | None = None, ip: str | None = None) -> Organization:
    try:
        org = admin.create_org(session, name=name, kind=kind, region_code=region_code,
                               parent=str(parent_id) if parent_id else None)
    except admin.AdminError as exc:
        raise admin_problem(exc) from exc
    audit.record(session, actor=actor, action="org.create", target_kind="organization", target_id=org.id,
                 org_id=org.id, ip=ip, detail={"kind": kind.value, "parent_id": str(parent_id) if parent_id else None})
    return org


def update_org(session: Session, *, actor: Principal, org_id: uuid.UUID, fields: dict[str, Any],
               ip: str | None = None) -> Organization:
    """Rename, re-kind, re-code or re-parent an organisation (``fields`` holds only what the caller sent)."""
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organisation")
    changed: dict[str, Any] = {}
    if fields.get("name") is not None and fields["name"].strip() != org.name:
        name = fields["name"].strip()
        if not name or session.scalar(select(Organization.id).where(Organization.name == name)):
            raise Problem(409, "org_name_taken", "单位名称为空或已被使用", "the name is empty or already taken")
        org.name, changed["name"] = name, True
    if fields.get("kind") is not None and fields["kind"] != org.kind:
        changed["kind"] = {"from": org.kind.value, "to": OrgKind(fields["kind"]).value}
        org.kind = OrgKind(fields["kind"])
    if "region_code" in fields and fields["region_code"] != org.region_code:
        code = fields["region_code"]
        if code is not None and not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise Problem(422, "bad_region_code", "行政区划代码须为 6 位数字（GB/T 2260）",
                          "the region code must be 6 digits (GB/T 2260)")
        changed["region_code"] = {"from": org.region_code, "to": code}
        org.region_code = code
    if "parent_id" in fields and fields["parent_id"] != org.parent_id:
        # the organisation tree has one owner (kinds, cycles, depth; audited there as org.set_parent)
        from service.hierarchy.tree import set_parent

        before_parent = org.parent_id
        set_parent(session, org_id=org.id, parent_id=fields["parent_id"], actor=actor, ip=ip)
        changed["parent_id"] = {"from": str(before_parent) if before_parent else None,
                                "to": str(org.parent_id) if org.parent_id else None}
    if changed:
        session.flush()
        audit.record(session, actor=actor, action="org.edit", target_kind="organization", target_id=org.id,
                     org_id=org.id, ip=ip, detail={"fields": sorted(changed), **{
                         k: v for k, v in changed.items() if isinstance(v, dict)}})
    return org


def list_orgs(session: Session, *, q: str | None = None, kind: OrgKind | None = None, limit: int = 200,
              offset: int = 0) -> tuple[list[Organization], int]:
    query = select(Organization)
    if q:
        query = query.where(Organization.name.ilike(f"%{q.strip()}%"))
    if kind is not None:
        query = query.where(Organization.kind == kind)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(Organization.name).limit(limit).offset(offset)).unique()), total
