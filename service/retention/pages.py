"""The admins' retention page: a campaign's policy, its dry-run report, and the button that starts the purge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.core.tasks import enqueue
from service.db.campaign import Campaign
from service.db.org import Role
from service.db.retention import RetentionAnchor
from service.retention import service
from service.retention.schemas import RetentionPolicyIn
from service.web import i18n
from service.web.deps import require_page_roles
from service.web.templating import NAV, render

router = APIRouter(include_in_schema=False)
AdminPage = Annotated[Principal, require_page_roles(Role.admin)]

i18n.register({
    "nav.retention": ("保存期限", "Retention"),
    "ret.title": ("素材保存期限", "Retention"),
    "ret.campaign": ("活动周", "Campaign"),
    "ret.policy": ("保存期限策略", "Retention policy"),
    "ret.none": ("尚未设置策略：该活动周的素材不会被自动删除。", "No policy yet: nothing of this campaign is deleted."),
    "ret.months": ("届满月数", "Months"),
    "ret.anchor": ("起算日期", "Counted from"),
    "ret.anchor.summary_deadline": ("总结报送截止日", "the summary deadline"),
    "ret.anchor.week_end": ("活动周结束日", "the end of the week"),
    "ret.keep_featured": ("保留精选素材", "Keep featured files"),
    "ret.keep_released": ("保留已发布专题中的素材", "Keep files in released collections"),
    "ret.legal_hold": ("法律保全（不删除任何素材）", "Legal hold (delete nothing)"),
    "ret.save": ("保存策略", "Save policy"),
    "ret.saved": ("策略已保存", "Policy saved"),
    "ret.report": ("试运行：现在执行会删除什么", "Dry run: what a run would delete now"),
    "ret.cutoff": ("届满日", "Deletes from"),
    "ret.due": ("已届满", "due"),
    "ret.not_due": ("未届满", "not due yet"),
    "ret.count.total": ("全部文件", "All files"),
    "ret.count.to_delete": ("将删除", "To delete"),
    "ret.count.kept_featured": ("保留（精选）", "Kept (featured)"),
    "ret.count.kept_released": ("保留（已发布）", "Kept (released)"),
    "ret.count.in_takedown": ("下架处理中（按下架流程）", "In takedown (takedown path)"),
    "ret.bytes": ("将释放空间", "Space freed"),
    "ret.run": ("立即执行删除", "Delete now"),
    "ret.run_confirm": ("确定永久删除上述文件吗？此操作无法撤销。",
                        "Permanently delete the files above? This cannot be undone."),
    "ret.started": ("删除已开始，完成后记入审计日志", "Deletion started; it is recorded in the audit log when done"),
    "ret.col.file": ("文件", "File"),
    "ret.col.org": ("单位", "Organisation"),
    "ret.col.status": ("审核状态", "Review"),
    "ret.col.uploaded": ("上传时间", "Uploaded"),
})
if ("nav.retention", "/admin/retention") not in NAV[Role.admin]:
    NAV[Role.admin].append(("nav.retention", "/admin/retention"))


@router.get("/admin/retention")
def retention_page(request: Request, principal: AdminPage, session: SessionDep,
                   campaign_id: uuid.UUID | None = None, error: str | None = None,
                   status_code: int = 200) -> Response:
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(50)).all()
    chosen = campaign_id or (campaigns[0].id if campaigns else None)
    report = service.report(session, campaign_id=chosen, now=datetime.now(UTC), limit=100) if chosen else None
    return render(request, "retention/admin.html", status_code=status_code, campaigns=campaigns,
                  campaign_id=chosen, report=report, anchors=list(RetentionAnchor), error=error,
                  msg=request.query_params.get("msg"))


@router.post("/admin/retention/{campaign_id}")
def save_policy(campaign_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep,
                months: Annotated[str, Form(max_length=4)] = "",
                anchor: Annotated[str, Form(max_length=40)] = RetentionAnchor.summary_deadline.value,
                keep_featured: Annotated[str, Form()] = "", keep_released: Annotated[str, Form()] = "",
                legal_hold: Annotated[str, Form()] = "") -> Response:
    try:
        body = RetentionPolicyIn.model_validate({"months": months, "anchor": anchor,
                                                 "keep_featured": keep_featured == "on",
                                                 "keep_released": keep_released == "on",
                                                 "legal_hold": legal_hold == "on"})
        service.set_policy(session, principal=principal, campaign_id=campaign_id, values=body.model_dump())
    except ValidationError:
        return retention_page(request, principal, session, campaign_id, status_code=422,
                              error=i18n.detail_text("届满月数须为 1–240 的整数 / months must be a whole number "
                                                     "from 1 to 240", i18n.lang_of(request)))
    except Problem as problem:
        return retention_page(request, principal, session, campaign_id, status_code=problem.status,
                              error=i18n.detail_text(problem.detail, i18n.lang_of(request)))
    return RedirectResponse(f"/admin/retention?campaign_id={campaign_id}&msg=saved", status_code=303)


@router.post("/admin/retention/{campaign_id}/run")
def run(campaign_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    try:
        service.request_run(session, principal=principal, campaign_id=campaign_id, now=datetime.now(UTC))
    except Problem as problem:
        session.rollback()
        return retention_page(request, principal, session, campaign_id, status_code=problem.status,
                              error=i18n.detail_text(problem.detail, i18n.lang_of(request)))
    enqueue(session, "retention.run_campaign", str(campaign_id), str(principal.user_id), queue="default")
    return RedirectResponse(f"/admin/retention?campaign_id={campaign_id}&msg=started", status_code=303)
