"""Audit log API (admins): filtered listing and CSV/XLSX export, action names in the caller's language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from service.auditlog.query import AuditFilter, export_rows, kind_name, org_names, search, to_csv, to_xlsx
from service.core import audit
from service.core.clientaddr import client_address
from service.core.csvfile import XLSX
from service.core.deps import AdminDep, SessionDep
from service.core.errors import not_found
from service.core.storage import content_disposition

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditRowOut(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    actor_org_id: uuid.UUID | None
    actor_org_name: str | None
    ip: str | None
    action: str
    action_name: str
    target_kind: str
    target_kind_name: str
    target_id: uuid.UUID | None
    org_id: uuid.UUID | None
    org_name: str | None
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRowOut]
    total: int


def audit_filter(
    actor: Annotated[str | None, Query(max_length=120, description="user id or user name")] = None,
    action: Annotated[str | None, Query(max_length=60, description="a code, or a domain such as `user`")] = None,
    target_kind: Annotated[str | None, Query(max_length=40)] = None,
    target_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    since: Annotated[str | None, Query(max_length=40, description="Beijing time unless an offset is given")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Beijing time; a bare day means its end")] = None,
) -> AuditFilter:
    return AuditFilter(actor=actor, action=action, target_kind=target_kind, target_id=target_id, org_id=org_id,
                       since=since, until=until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


def _lang(lang: str | None) -> str:
    return "en" if lang == "en" else "zh"


@router.get("/admin/audit", response_model=AuditPage)
def list_audit(principal: AdminDep, session: SessionDep, flt: FilterDep,
               lang: Annotated[str | None, Query(pattern="^(zh|en)$")] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> AuditPage:
    rows, total = search(session, flt, limit=limit, offset=offset)
    names = org_names(session, rows)
    code = _lang(lang)
    return AuditPage(total=total, items=[AuditRowOut(
        id=r.id, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, actor_org_id=r.actor_org_id,
        actor_org_name=names.get(r.actor_org_id) if r.actor_org_id else None, ip=r.ip, action=r.action,
        action_name=audit.action_name(r.action, code), target_kind=r.target_kind,
        target_kind_name=kind_name(r.target_kind, code), target_id=r.target_id, org_id=r.org_id,
        org_name=names.get(r.org_id) if r.org_id else None, detail=r.detail) for r in rows])


@router.get("/admin/audit/export.{fmt}")
def export_audit(fmt: str, request: Request, principal: AdminDep, session: SessionDep, flt: FilterDep,
                 lang: Annotated[str | None, Query(pattern="^(zh|en)$")] = None) -> Response:
    """The filtered log as CSV (UTF-8 with BOM) or XLSX; the export itself is recorded."""
    if fmt not in ("csv", "xlsx"):
        raise not_found("export format")
    code = _lang(lang)
    rows = export_rows(session, flt, code)
    audit.record(session, actor=principal, action="audit.export", target_kind="audit_log", target_id=None,
                 ip=client_address(request), detail={"format": fmt, "rows": len(rows),
                                                     "filter": {k: str(v) for k, v in flt.__dict__.items() if v}})
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if fmt == "xlsx":
        return Response(to_xlsx(rows, code),
                        media_type=XLSX,
                        headers={"Content-Disposition": content_disposition(f"audit-{stamp}.xlsx")})
    return Response(to_csv(rows, code), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": content_disposition(f"audit-{stamp}.csv")})
