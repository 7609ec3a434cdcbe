"""A province's (or committee's) pages: its dashboard, the pre-review queue and who has not reported.

Staff open the same pages for any province (``?org=``); a submitter of an organisation without members sees empty
tables. Every action posts to the same services as /api/v1/hierarchy.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from service.core.clientaddr import client_address
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.db.campaign import Campaign
from service.db.org import Organization, Role
from service.hierarchy import overview, prereview
from service.web import i18n
from service.web.deps import require_page_roles
from service.web.templating import render

router = APIRouter(include_in_schema=False)
ProvincePage = Annotated[Principal, require_page_roles(Role.submitter, Role.editor, Role.admin)]

i18n.register({
    "prov.dashboard": ("下属单位报送概览", "Members overview"),
    "prov.queue": ("预审", "Pre-review"),
    "prov.not_reported": ("未报送单位", "Who has not reported"),
    "prov.member": ("单位", "Organisation"),
    "prov.parent": ("上级单位", "Parent"),
    "prov.all_members": ("全部下属单位", "All members"),
    "prov.kind": ("类型", "Kind"),
    "prov.state": ("预审状态", "Pre-review state"),
    "prov.title": ("标题", "Title"),
    "prov.files": ("文件数", "Files"),
    "prov.at": ("提交时间", "Filed"),
    "prov.reason": ("退回原因", "Reason"),
    "prov.forward": ("转报教育部", "Forward to the ministry"),
    "prov.forward_selected": ("批量转报所选", "Forward selected"),
    "prov.return": ("退回", "Return"),
    "prov.reason_hint": ("退回原因（必填，报送单位可见）", "Reason (required; the member sees it)"),
    "prov.filter": ("筛选", "Filter"),
    "prov.any": ("全部", "Any"),
    "prov.none": ("没有符合条件的材料。", "Nothing matches."),
    "prov.waiting": ("待预审：报送 {s} 项，报送材料 {r} 份", "Waiting for pre-review: {s} submissions, {r} reports"),
    "prov.submissions": ("报送", "Submissions"),
    "prov.assets": ("文件", "Files"),
    "prov.reports": ("报送材料", "Reports"),
    "prov.overdue": ("逾期未报", "Overdue"),
    "prov.no_members": ("本单位没有下属单位。", "Your organisation has no members."),
    "prov.everyone_reported": ("所有下属单位均已报送。", "Every member has reported."),
    "prov.export_csv": ("导出 CSV", "Export CSV"),
    "prov.export_xlsx": ("导出 Excel", "Export Excel"),
    "prov.reported": ("已报送", "Reported"),
    "prov.missing": ("未报送", "Missing"),
    "prov.campaign": ("活动周", "Campaign"),
    "prov.done": ("已处理", "Done"),
    "prov.kind.submission": ("照片视频报送", "Photo/video submission"),
    "prov.kind.plan": ("活动方案", "Plan"),
    "prov.kind.case": ("典型案例", "Typical case"),
    "prov.kind.manuscript": ("稿件", "Manuscript"),
    "prov.kind.summary": ("活动总结", "Summary"),
    "prov.state.pending": ("待预审", "Waiting"),
    "prov.state.forwarded": ("已转报", "Forwarded"),
    "prov.state.returned": ("已退回", "Returned"),
    "prov.item.plan": ("活动方案", "Plan"),
    "prov.item.media": ("照片视频", "Photos and videos"),
    "prov.item.case": ("典型案例", "Typical case"),
    "prov.item.summary": ("活动总结", "Summary"),
    "prov.status.draft": ("草稿", "Draft"),
    "prov.status.filed": ("已提交", "Filed"),
    "prov.status.forwarded": ("已转报", "Forwarded"),
    "prov.status.returned": ("已退回", "Returned"),
    "prov.status.accepted": ("已采用", "Accepted"),
    "prov.msg.forwarded": ("已转报", "Forwarded"),
    "prov.msg.returned": ("已退回，报送单位会看到原因", "Returned; the member sees the reason"),
    "prov.error.reason_required": ("退回时必须填写原因", "A reason is required to return material"),
    "prov.error.reason_too_long": ("退回原因过长", "The reason is too long"),
    "prov.error.already_forwarded": ("该材料已转报，不能再退回", "Already forwarded; it cannot be returned"),
    "prov.error.bad_transition": ("该材料当前状态下不能执行此操作", "Not possible in the material's current state"),
    "prov.error.forbidden": ("只有上级单位可以预审下属单位的材料", "Only the parent organisation pre-reviews"),
    "prov.error.not_found": ("未找到该材料或无权访问", "Not found or not yours to see"),
})

ERRORS = ("reason_required", "reason_too_long", "already_forwarded", "bad_transition", "forbidden", "not_found")


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _common(request: Request, session: SessionDep) -> dict[str, Any]:
    campaigns = list(session.scalars(select(Campaign).order_by(Campaign.week_start.desc())).all())
    return {"campaigns": campaigns, "campaign_id": _uuid(request.query_params.get("campaign")),
            "parent_id": _uuid(request.query_params.get("org"))}


@router.get("/province")
def dashboard_page(request: Request, principal: ProvincePage, session: SessionDep) -> Response:
    ctx = _common(request, session)
    board = overview.dashboard(session, principal=principal, campaign_id=ctx["campaign_id"],
                               parent_id=ctx["parent_id"])
    return render(request, "hierarchy/dashboard.html", board=board, **ctx)


@router.get("/province/prereview")
def queue_page(request: Request, principal: ProvincePage, session: SessionDep) -> Response:
    ctx = _common(request, session)
    q = request.query_params
    member_id = _uuid(q.get("member"))
    kind = q.get("kind") if q.get("kind") in prereview.KINDS else None
    state = q.get("state") if q.get("state") in ("pending", "forwarded", "returned") else None
    items, total = prereview.queue(session, principal=principal, campaign_id=ctx["campaign_id"],
                                   org_id=member_id, kind=kind, state=state or None, limit=200)
    members = sorted(prereview.reviewable_members(session, principal))
    names = dict(session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_(members))).tuples().all()) if members else {}
    return render(request, "hierarchy/queue.html", items=items, total=total, member_names=names,
                  member_id=member_id, kind=kind, state=state, kinds=prereview.KINDS,
                  msg=q.get("msg") if q.get("msg") in ("forwarded", "returned") else None,
                  error=(q.get("error") if q.get("error") in ERRORS else "not_found") if q.get("error") else None,
                  **ctx)


def _back(request: Request, **extra: str) -> RedirectResponse:
    params = {k: v for k, v in request.query_params.items() if k in ("campaign", "member", "kind", "state")}
    return RedirectResponse(f"/province/prereview?{urlencode({**params, **extra})}", status_code=303)


def _split(item: str) -> tuple[str, uuid.UUID] | None:
    kind, _, raw = item.partition(":")
    item_id = _uuid(raw)
    return (kind, item_id) if kind in ("submission", "report") and item_id else None


@router.post("/province/prereview/forward")
async def forward_action(request: Request, principal: ProvincePage, session: SessionDep) -> Response:
    form = await request.form()
    picked = [p for p in (_split(str(v)) for v in form.getlist("item")) if p]
    result = prereview.bulk_forward(session, principal=principal,
                                    submission_ids=[i for k, i in picked if k == "submission"],
                                    report_ids=[i for k, i in picked if k == "report"], ip=client_address(request))
    if result.refused:
        return _back(request, error=result.refused[0][1])
    return _back(request, msg="forwarded")


@router.post("/province/prereview/return")
async def return_action(request: Request, principal: ProvincePage, session: SessionDep) -> Response:
    form = await request.form()
    picked = _split(str(form.get("item", "")))
    if picked is None:
        return _back(request, error="not_found")
    kind, item_id = picked
    reason = str(form.get("reason", ""))
    try:
        if kind == "submission":
            prereview.return_submission(session, principal=principal, submission_id=item_id, reason=reason,
                                        ip=client_address(request))
        else:
            prereview.return_report(session, principal=principal, report_id=item_id, reason=reason,
                                    ip=client_address(request))
    except Problem as problem:
        return _back(request, error=problem.code)
    return _back(request, msg="returned")


@router.get("/province/not-reported")
def not_reported_page(request: Request, principal: ProvincePage, session: SessionDep) -> Response:
    ctx = _common(request, session)
    missing = request.query_params.get("missing")
    missing = missing if missing in overview.ITEMS else None
    campaign, rows = overview.not_reported(session, principal=principal, campaign_id=ctx["campaign_id"],
                                           parent_id=ctx["parent_id"], missing=missing)
    export = {k: str(v) for k, v in (("campaign_id", campaign.id), ("org_id", ctx["parent_id"]),
                                     ("missing", missing), ("lang", i18n.lang_of(request))) if v}
    return render(request, "hierarchy/not_reported.html", rows=rows, campaign=campaign, items=overview.ITEMS,
                  missing=missing, export_query=urlencode(export), **ctx)
