"""Bulk import of users from CSV, with a dry run that reports what each row would do.

Columns (header required, UTF-8, BOM allowed): ``username,role,org`` and optionally ``display_name,password``.
``org`` is an organisation's name or id. A password given in the file is one-time (changed at first login); rows
without one get no password (OpenID Connect, or a reset link later). The dry run performs the same work inside a
savepoint and rolls it back, so it catches exactly what the real import would refuse (a name twice in the file too).
The real import is all-or-nothing: one bad row and nothing is created.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.admin import service as admin
from service.core import audit
from service.core.errors import Problem
from service.core.passwords import PasswordRejected, check_password
from service.core.security import Principal, normalize_username
from service.db.org import Role

MAX_ROWS = 5000
REQUIRED = ("username", "role", "org")


@dataclass(frozen=True)
class RowResult:
    line: int
    username: str
    outcome: str  # "create" (would create / created) or "error"
    code: str | None = None
    reason_zh: str | None = None
    reason_en: str | None = None
    user_id: str | None = None


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {f.strip() for f in reader.fieldnames or []}
    if not set(REQUIRED) <= fields:
        raise Problem(422, "import_header", "CSV 须有表头：username,role,org[,display_name,password]",
                      "the CSV needs a header: username,role,org[,display_name,password]")
    rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if len(rows) > MAX_ROWS:
        raise Problem(422, "import_too_large", f"一次最多导入 {MAX_ROWS} 行", f"at most {MAX_ROWS} rows per import")
    return rows


def _one(session: Session, line: int, row: dict[str, str]) -> RowResult:
    username = normalize_username(row.get("username", ""))
    try:
        role = Role(row.get("role", ""))
    except ValueError:
        return RowResult(line, username, "error", "unknown_role", f"未知角色 {row.get('role')!r}",
                         f"unknown role {row.get('role')!r}")
    password = row.get("password") or None
    if password is not None:
        try:
            check_password(password, username)
        except PasswordRejected as exc:
            return RowResult(line, username, "error", exc.code, exc.zh, exc.en)
    try:
        with session.begin_nested():
            user = admin.create_user(session, username=username, role=role, org=row.get("org", ""),
                                     password=password, display_name=row.get("display_name", ""))
            user.must_change_password = password is not None
    except admin.AdminError as exc:
        return RowResult(line, username, "error", "invalid_row", f"该行无效（{exc}）", str(exc))
    return RowResult(line, username, "create", user_id=str(user.id))


def import_users(session: Session, *, actor: Principal, text: str, dry_run: bool,
                 ip: str | None = None) -> list[RowResult]:
    """Per row: would create / created, or error with a reason. A real import with any error creates nothing."""
    rows = _rows(text)
    outer = session.begin_nested()
    results = [_one(session, line, row) for line, row in enumerate(rows, start=2)]
    failed = any(r.outcome == "error" for r in results)
    if dry_run or failed:
        outer.rollback()
    else:
        outer.commit()
        audit.record(session, actor=actor, action="user.import", target_kind="user", target_id=None, ip=ip,
                     detail={"created": len(results), "user_ids": [r.user_id for r in results]})
    if failed and not dry_run:
        raise Problem(422, "import_rejected", "有行无效，未导入任何用户", "some rows are invalid; nothing was imported",
                      extra={"rows": [r.__dict__ for r in results]})
    return results

