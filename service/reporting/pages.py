"""Report pages for the reporting organisations: 报送材料 (list, forms, media links, documents, filing). The editors'
desk is in ``desk_pages.py``; both share the helpers here.

Every form calls the same service as the JSON API; a refused change re-renders the page with the reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from service.campaigns.service import CAMPAIGN_COOKIE
from service.core.deps import CommittedSessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.core.text import clean_text
from service.db.reporting import ONE_PER_ORG, Report, ReportKind
from service.documents.service import forget_objects
from service.reporting import service
from service.reporting.deadlines import deadline_statuses
from service.reporting.markup import MAX_BODY_CHARS
from service.reporting.page_context import detail_context, ids_of, ip_of, message_of, problem_text
from service.reporting.schemas import ReportCreate, ReportUpdate
from service.reporting.vocabulary import EDITABLE, KIND_NAMES, STATUS_NAMES
from service.web import i18n
from service.web.deps import SubmitterPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({f"report_kind.{k.value}": v for k, v in KIND_NAMES.items()})
i18n.register({f"report_status.{k.value}": v for k, v in STATUS_NAMES.items()})
i18n.register(
    {
        "nav.reports": ("报送材料", "Reports"),
        "nav.report_desk": ("材料审核", "Reports desk"),
        "rep.title": ("报送材料", "Reports"),
        "rep.intro": (
            "活动方案、典型案例、稿件和活动总结在这里撰写、关联照片视频并提交。",
            "Write plans, typical cases, manuscripts and summaries here, link photos and videos, and file them.",
        ),
        "rep.new": ("新建{kind}", "New {kind}"),
        "rep.open_existing": ("查看本单位的{kind}", "Open our {kind}"),
        "rep.none": ("还没有报送材料。", "No reports yet."),
        "rep.col.title": ("标题", "Title"),
        "rep.col.kind": ("类型", "Kind"),
        "rep.col.org": ("报送单位", "Organisation"),
        "rep.col.status": ("状态", "Status"),
        "rep.col.updated": ("更新时间", "Updated"),
        "rep.col.filed": ("提交时间", "Filed"),
        "rep.col.media": ("照片视频", "Media"),
        "rep.field.title": ("标题", "Title"),
        "rep.field.body": ("正文", "Text"),
        "rep.field.body_hint": (
            "支持简单格式：空行分段；# 标题；- 列表；**加粗**；*斜体*；[文字](网址)",
            "Simple formatting: blank line = new paragraph; # heading; - list; **bold**; *italic*; "
            "[text](https://address)",
        ),
        "rep.field.website_url": ("专题网站网址", "Theme website address"),
        "rep.field.liaison_name": ("联络员姓名", "Liaison's name"),
        "rep.field.liaison_phone": ("联络员电话", "Liaison's phone"),
        "rep.field.liaison_email": ("联络员邮箱", "Liaison's e-mail"),
        "rep.plan_fields": ("专题网站与联络员", "Website and liaison"),
        "rep.save": ("保存草稿", "Save draft"),
        "rep.edit": ("修改", "Edit"),
        "rep.delete": ("删除草稿", "Delete draft"),
        "rep.file": ("提交", "File"),
        "rep.file_hint": ("提交后不能再修改，除非被退回。", "Once filed it cannot be changed unless it is returned."),
        "rep.missing": ("提交前还需要：", "Before filing, add:"),
        "rep.errors": ("请修改标红的内容", "Please correct the fields marked in red"),
        "rep.return_reason": ("退回原因", "Why it was returned"),
        "rep.media": ("关联的照片和视频", "Linked photos and videos"),
        "rep.media_none": ("还没有关联照片或视频。", "No photos or videos linked yet."),
        "rep.pick": ("从本单位已上传的素材中选择", "Pick from your organisation's uploads"),
        "rep.pick_none": (
            "本届活动周还没有处理完成、可以关联的照片或视频。先在「我的报送」里上传。",
            "No processed photos or videos to link yet. Upload them under “My submissions” first.",
        ),
        "rep.link": ("关联所选素材", "Link the selected files"),
        "rep.unlink": ("取消关联", "Unlink"),
        "rep.documents": ("附件文档", "Documents"),
        "rep.documents_none": ("还没有附件文档。", "No documents yet."),
        "rep.upload_doc": (
            "上传文档（PDF、DOCX、ODT 或 TXT 纯文本）",
            "Upload a document (PDF, Word, ODT or plain text)",
        ),
        "rep.upload_button": ("上传", "Upload"),
        "rep.doc_status.pending": ("检查中", "Being checked"),
        "rep.doc_status.ready": ("可用", "Ready"),
        "rep.doc_status.rejected": ("未通过检查", "Refused"),
        "rep.plan": ("活动方案信息", "Plan details"),
        "rep.msg.created": ("草稿已创建", "Draft created"),
        "rep.msg.saved": ("已保存", "Saved"),
        "rep.msg.linked": ("已关联", "Linked"),
        "rep.msg.unlinked": ("已取消关联", "Unlinked"),
        "rep.msg.filed": ("已提交", "Filed"),
        "rep.msg.deleted": ("草稿已删除", "Draft deleted"),
        "rep.msg.accept": ("已采用", "Accepted"),
        "rep.msg.return": ("已退回", "Returned"),
        "rep.msg.feature": ("已精选", "Featured"),
        "rep.msg.unfeature": ("已取消精选", "No longer featured"),
        "rep.featured": ("精选", "Featured"),
        "rep.back": ("返回列表", "Back to the list"),
        "rep.history": ("办理记录", "History"),
        "desk.title": ("报送材料审核", "Reports desk"),
        "desk.filter": ("筛选", "Filter"),
        "desk.q": ("搜索标题、正文和文档", "Search titles, text and documents"),
        "desk.region": ("省份", "Province"),
        "desk.org": ("报送单位", "Organisation"),
        "desk.waiting": ("待审核", "Awaiting a decision"),
        "desk.none": ("没有符合条件的材料。", "No reports match."),
        "desk.accept": ("采用", "Accept"),
        "desk.return": ("退回", "Return"),
        "desk.return_reason": (
            "退回原因和修改建议（报送单位可见）",
            "Why, and what to change (the organisation sees this)",
        ),
        "desk.feature": ("精选", "Feature"),
        "desk.unfeature": ("取消精选", "Unfeature"),
        "desk.open_asset": ("审核此文件", "Review this file"),
        "desk.media_side": ("材料引用的照片和视频", "The photos and videos it references"),
        "deadline.filed_on": ("已提交（{date}）", "Filed ({date})"),
        "deadline.returned": ("已退回，请修改后重新提交", "Returned: fix and file again"),
        "deadline.overdue": ("已逾期", "Overdue"),
        "deadline.due": ("未提交，还剩 {n} 天", "Not filed, {n} days left"),
        "deadline.due_today": ("未提交，今天截止", "Not filed, due today"),
        "deadline.closed": ("已截止", "Closed"),
        "deadline.open": ("还剩 {n} 天", "{n} days left"),
        "deadline.done": ("已报送", "Sent"),
    }
)

FIELDS = ("title", "body", "website_url", "liaison_name", "liaison_phone", "liaison_email")
LABELS: dict[str, tuple[str, str]] = {
    "title": ("标题", "title"),
    "body": ("正文", "text"),
    "website_url": ("专题网站网址", "website address"),
    "liaison_name": ("联络员姓名", "liaison's name"),
    "liaison_phone": ("联络员电话", "liaison's phone"),
    "liaison_email": ("联络员邮箱", "liaison's e-mail"),
}


def _values(form: FormData, kind: ReportKind) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name in ("website_url", "liaison_name", "liaison_phone", "liaison_email") and kind != ReportKind.plan:
            continue
        raw = str(form.get(name, ""))
        values[name] = clean_text(raw) if name == "body" else clean_text(raw, multiline=False)
    return values


def _field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else "_"
        zh_label, en_label = LABELS.get(field, (field, field))
        kind, ctx = error.get("type", ""), error.get("ctx") or {}
        if kind in ("missing", "string_too_short"):
            zh, en = f"请填写{zh_label}", f"{en_label} is required"
        elif kind == "string_too_long":
            zh, en = f"{zh_label}不能超过 {ctx.get('max_length')} 个字", f"{en_label} is too long"
        elif kind == "value_error":
            text = str(error.get("msg", "")).removeprefix("Value error, ")
            zh, _, en = text.partition(" / ")
        else:
            zh, en = f"{zh_label}填写有误", f"{en_label} is invalid"
        errors.setdefault(field, zh if lang == "zh" else (en or zh))
    return errors


# --- submitters ---------------------------------------------------------------------------------------------------


@router.get("/reports")
def list_page(request: Request, principal: SubmitterPage, session: CommittedSessionDep) -> Response:
    campaign = service.current_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))
    rows, total = service.list_reports(
        session, principal=principal, campaign_id=campaign.id if campaign else None, limit=200
    )
    own = {r.kind: r for r in rows if r.org_id == principal.org_id and r.kind in ONE_PER_ORG}
    return render(
        request,
        "reporting/list.html",
        campaign=campaign,
        rows=rows,
        total=total,
        own=own,
        kinds=list(ReportKind),
        one_per_org=ONE_PER_ORG,
        msg=message_of(request),
        deadlines=deadline_statuses(session, org_id=principal.org_id, campaign=campaign) if campaign else [],
    )


def _form(
    request: Request,
    *,
    kind: ReportKind,
    report: Report | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "reporting/form.html",
        status_code=status_code,
        kind=kind,
        report=report,
        values=values,
        errors=errors,
        max_body=MAX_BODY_CHARS,
    )


@router.get("/reports/new")
def new_page(request: Request, principal: SubmitterPage, session: CommittedSessionDep, kind: str = "case") -> Response:
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        report_kind = ReportKind.case
    campaign = service.current_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))
    if (
        campaign
        and report_kind in ONE_PER_ORG
        and (found := service.existing_one_per_org(session, campaign.id, principal.org_id, report_kind))
    ):
        return RedirectResponse(f"/reports/{found.id}", status_code=303)
    return _form(request, kind=report_kind, report=None, values={}, errors={})


@router.post("/reports/new")
async def create(request: Request, principal: SubmitterPage, session: CommittedSessionDep) -> Response:
    form = await request.form()
    try:
        kind = ReportKind(str(form.get("kind", "")))
    except ValueError:
        kind = ReportKind.case
    values = _values(form, kind)
    try:
        campaign = service.current_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))  # the week shown
        data = ReportCreate.model_validate(
            {**{k: v for k, v in values.items() if v}, "kind": kind, "title": values.get("title", ""),
             "campaign_id": campaign.id if campaign else None}
        )
        report = service.create_report(session, principal=principal, data=data, ip=ip_of(request))
    except ValidationError as exc:
        return _form(
            request,
            kind=kind,
            report=None,
            values=values,
            errors=_field_errors(exc, i18n.lang_of(request)),
            status_code=422,
        )
    except Problem as problem:
        if problem.code == "report_exists":
            return RedirectResponse(f"/reports/{problem.extra['report_id']}", status_code=303)
        return _form(
            request,
            kind=kind,
            report=None,
            values=values,
            errors={"_": problem_text(request, problem)},
            status_code=problem.status,
        )
    return RedirectResponse(f"/reports/{report.id}?msg=created", status_code=303)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    report_id: uuid.UUID,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    report = service.get_report(session, principal=principal, report_id=report_id)
    return render(
        request,
        "reporting/detail.html",
        status_code=status_code,
        msg=message_of(request),
        error=error,
        **detail_context(request, session, principal, report),
    )


@router.get("/reports/{report_id}")
def detail_page(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    return _detail(request, session, principal, report_id)


@router.get("/reports/{report_id}/edit")
def edit_page(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    report = service.get_report(session, principal=principal, report_id=report_id)
    if not service.is_writer(principal, report) or report.status not in EDITABLE:
        return RedirectResponse(f"/reports/{report.id}", status_code=303)
    values = {name: getattr(report, name) or "" for name in FIELDS}
    return _form(request, kind=report.kind, report=report, values=values, errors={})


@router.post("/reports/{report_id}/edit")
async def update(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    report = service.get_report(session, principal=principal, report_id=report_id)
    values = _values(await request.form(), report.kind)
    try:
        data = ReportUpdate.model_validate({k: (v or None) if k != "body" else v for k, v in values.items()})
        if not values.get("title"):
            ReportCreate.model_validate({"kind": report.kind, "title": ""})
        service.update_report(session, principal=principal, report_id=report.id, data=data, ip=ip_of(request))
    except ValidationError as exc:
        return _form(
            request,
            kind=report.kind,
            report=report,
            values=values,
            errors=_field_errors(exc, i18n.lang_of(request)),
            status_code=422,
        )
    except Problem as problem:
        return _form(
            request,
            kind=report.kind,
            report=report,
            values=values,
            errors={"_": problem_text(request, problem)},
            status_code=problem.status,
        )
    return RedirectResponse(f"/reports/{report.id}?msg=saved", status_code=303)


async def _act(
    request: Request, session: Session, principal: Principal, report_id: uuid.UUID, msg: str, action: Any
) -> Response:
    try:
        action()
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        session.rollback()
        return _detail(
            request, session, principal, report_id, error=problem_text(request, problem), status_code=problem.status
        )
    return RedirectResponse(f"/reports/{report_id}?msg={msg}", status_code=303)


@router.post("/reports/{report_id}/assets")
async def link(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    ids = ids_of((await request.form()).getlist("asset_id"))
    if not ids:
        report = service.get_report(session, principal=principal, report_id=report_id)
        return RedirectResponse(f"/reports/{report.id}", status_code=303)
    return await _act(
        request,
        session,
        principal,
        report_id,
        "linked",
        lambda: service.link_assets(session, principal=principal, report_id=report_id, asset_ids=ids,
                                    ip=ip_of(request)),
    )


@router.post("/reports/{report_id}/assets/{asset_id}/remove")
async def unlink(
    report_id: uuid.UUID, asset_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    return await _act(
        request,
        session,
        principal,
        report_id,
        "unlinked",
        lambda: service.unlink_asset(
            session, principal=principal, report_id=report_id, asset_id=asset_id, ip=ip_of(request)
        ),
    )


@router.post("/reports/{report_id}/file")
async def file(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    return await _act(
        request,
        session,
        principal,
        report_id,
        "filed",
        lambda: service.file_report(session, principal=principal, report_id=report_id, ip=ip_of(request)),
    )


@router.post("/reports/{report_id}/delete")
async def delete(
    report_id: uuid.UUID, request: Request, principal: SubmitterPage, session: CommittedSessionDep
) -> Response:
    try:
        keys = service.delete_report(session, principal=principal, report_id=report_id, ip=ip_of(request))
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        session.rollback()
        return _detail(
            request, session, principal, report_id, error=problem_text(request, problem), status_code=problem.status
        )
    # the documents' objects go after the commit (a background task runs once the response is sent)
    return RedirectResponse("/reports?msg=deleted", status_code=303, background=BackgroundTask(forget_objects, keys))
