"""Filter the audit log and turn rows into what a person reads (names, Beijing time) for pages and exports."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.core.audit import ACTIONS, action_name
from service.core.beijing import BEIJING
from service.core.csvfile import csv_bytes, safe_cell
from service.core.errors import Problem
from service.db.audit import AuditLog
from service.db.org import Organization

EXPORT_LIMIT = 100_000
TARGET_KINDS: dict[str, tuple[str, str]] = {
    "asset": ("素材", "File"), "collection": ("专题", "Collection"), "revocation": ("媒体访问权限", "Outlet access"),
    "user": ("用户", "User"), "organization": ("单位", "Organisation"), "report": ("报送材料", "Report"),
    "document": ("文档", "Document"), "submission": ("报送", "Submission"), "audit_log": ("审计日志", "Audit log"),
}


def kind_name(kind: str, lang: str) -> str:
    names = TARGET_KINDS.get(kind)
    return (names[0] if lang.startswith("zh") else names[1]) if names else kind


def beijing_moment(value: str | None, *, end: bool = False) -> datetime | None:
    """``2026-05-14``, ``2026-05-14T09:30`` (Beijing time unless an offset is given) as an aware datetime; a bare day
    as ``until`` means the end of that day."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Problem(422, "bad_time", "时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM（北京时间）",
                      "times are YYYY-MM-DD or YYYY-MM-DDTHH:MM (Beijing time)") from exc
    if end and len(value.strip()) == 10:
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # a user id or a user name
    action: str | None = None  # a code, or a domain prefix such as "user." / "collection"
    target_kind: str | None = None
    target_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    since: str | None = None
    until: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.actor:
            try:
                query = query.where(AuditLog.actor_id == uuid.UUID(self.actor))
            except ValueError:
                query = query.where(AuditLog.actor_name == self.actor.strip().casefold())
        if self.action:
            if self.action in ACTIONS:
                query = query.where(AuditLog.action == self.action)
            else:
                prefix = self.action.rstrip(".") + "."
                query = query.where(AuditLog.action.startswith(prefix, autoescape=True))
        if self.target_kind:
            query = query.where(AuditLog.target_kind == self.target_kind)
        if self.target_id:
            query = query.where(AuditLog.target_id == self.target_id)
        if self.org_id:
            query = query.where(AuditLog.org_id == self.org_id)
        if (since := beijing_moment(self.since)) is not None:
            query = query.where(AuditLog.at >= since)
        if (until := beijing_moment(self.until, end=True)) is not None:
            query = query.where(AuditLog.at <= until)
        return query


def search(session: Session, flt: AuditFilter, *, limit: int = 100, offset: int = 0) -> tuple[list[AuditLog], int]:
    query = flt.apply(select(AuditLog))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def org_names(session: Session, rows: Sequence[AuditLog]) -> dict[uuid.UUID, str]:
    ids = {i for r in rows for i in (r.org_id, r.actor_org_id) if i is not None}
    if not ids:
        return {}
    found = session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {row.id: row.name for row in found}


def columns(lang: str) -> list[str]:
    zh = lang.startswith("zh")
    if zh:
        return ["时间（北京时间）", "操作人", "操作人单位", "操作", "对象类型", "对象编号", "所属单位", "IP 地址",
                "详情"]
    return ["Time (Beijing)", "Actor", "Actor's organisation", "Action", "Target", "Target id", "Organisation",
            "IP address", "Detail"]


def export_rows(session: Session, flt: AuditFilter, lang: str) -> list[list[Any]]:
    rows, _ = search(session, flt, limit=EXPORT_LIMIT)
    names = org_names(session, rows)

    def org(value: uuid.UUID | None) -> str:
        return names.get(value, "") if value else ""

    return [[r.at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"), r.actor_name, org(r.actor_org_id),
             action_name(r.action, lang), kind_name(r.target_kind, lang), str(r.target_id or ""), org(r.org_id),
             r.ip or "", _detail_text(r.detail)] for r in rows]


def _detail_text(detail: dict[str, Any]) -> str:
    import json

    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""


def to_csv(rows: list[list[Any]], lang: str) -> bytes:
    return csv_bytes(columns(lang), rows)


def to_xlsx(rows: list[list[Any]], lang: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "审计日志" if lang.startswith("zh") else "Audit log"
    sheet.append(columns(lang))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
