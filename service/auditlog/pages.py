"""The audit log page (admins): filters by actor, action, target, organisation and Beijing-time range; export."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.accounts.service import list_orgs
from service.auditlog.query import TARGET_KINDS, AuditFilter, kind_name, org_names, search
from service.core.audit import ACTIONS, action_name
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.web import i18n
from service.web.deps import AdminPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100

i18n.register({
    "audit.title": ("审计日志", "Audit log"),
    "audit.when": ("时间", "Time"),
    "audit.actor": ("操作人", "Actor"),
    "audit.action": ("操作", "Action"),
    "audit.target": ("对象", "Target"),
    "audit.org": ("所属单位", "Organisation"),
    "audit.detail": ("详情", "Detail"),
    "audit.since": ("起（北京时间）", "From (Beijing time)"),
    "audit.until": ("止（北京时间）", "To (Beijing time)"),
    "audit.any": ("全部", "Any"),
    "audit.filter": ("筛选", "Filter"),
    "audit.export_csv": ("导出 CSV", "Export CSV"),
    "audit.export_xlsx": ("导出 Excel", "Export Excel"),
    "audit.system": ("系统", "System"),
    "audit.target_id": ("对象编号", "Target id"),
})


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get("/admin/audit")
def audit_page(request: Request, principal: AdminPage, session: SessionDep, actor: str = "", action: str = "",
               target_kind: str = "", target_id: str = "", org_id: str = "", since: str = "", until: str = "",
               page: int = 1) -> Response:
    lang = i18n.lang_of(request)
    flt = AuditFilter(actor=actor[:120] or None, action=action[:60] or None, target_kind=target_kind[:40] or None,
                      target_id=_uuid(target_id), org_id=_uuid(org_id), since=since[:40] or None,
                      until=until[:40] or None)
    error = None
    page = max(1, min(page, 10_000))
    try:
        rows, total = search(session, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except Problem as problem:
        rows, total, error = [], 0, i18n.detail_text(problem.detail, lang)
    orgs, _ = list_orgs(session, limit=1000)
    query = urlencode({k: v for k, v in {"actor": actor, "action": action, "target_kind": target_kind,
                                          "target_id": target_id, "org_id": org_id, "since": since, "until": until,
                                          "lang": lang}.items() if v})
    domains = sorted({code.split(".")[0] for code in ACTIONS})
    return render(request, "audit/list.html", status_code=422 if error else 200, rows=rows, total=total,
                  names=org_names(session, rows), orgs=orgs, error=error, page=page, pages=-(-total // PAGE_SIZE),
                  actions=[(code, action_name(code, lang)) for code in ACTIONS], domains=domains,
                  kinds=[(k, kind_name(k, lang)) for k in TARGET_KINDS], action_label=lambda c: action_name(c, lang),
                  kind_label=lambda k: kind_name(k, lang),
                  f={"actor": actor, "action": action, "target_kind": target_kind, "target_id": target_id,
                     "org_id": org_id, "since": since, "until": until}, query=query)
