"""Campaign pages: the list (staff), create and edit a campaign and its taxonomy (admins), the campaign switcher
(everyone logged in; the choice lives in the ``campaign`` cookie) and the week report button on the dashboard.

Dates are entered and shown as Beijing dates; the upload window is entered as Beijing date and time."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from service.campaigns import service
from service.campaigns.endpoints import request_week_report
from service.core.beijing import BEIJING
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.db.campaign import Campaign
from service.db.org import Role
from service.web import i18n
from service.web.deps import EditorPage, WebPrincipalDep, require_page_roles, safe_next
from service.web.templating import render

router = APIRouter(include_in_schema=False)
AdminPage = Annotated[Principal, require_page_roles(Role.admin)]
DATE_FIELDS = ("week_start", "week_end", "plan_deadline", "summary_deadline")
MOMENT_FIELDS = ("upload_opens_at", "upload_closes_at")

i18n.register({
    "nav.campaigns": ("活动周管理", "Campaigns"),
    "camp.switch": ("当前活动周", "Current campaign"),
    "camp.list": ("活动周", "Campaigns"),
    "camp.new": ("新建活动周", "New campaign"),
    "camp.edit": ("编辑活动周", "Edit campaign"),
    "camp.taxonomy": ("标签体系", "Taxonomy"),
    "camp.name": ("名称", "Name"),
    "camp.year": ("年份", "Year"),
    "camp.theme": ("主题", "Theme"),
    "camp.week_start": ("活动周开始日期", "Week starts"),
    "camp.week_end": ("活动周结束日期", "Week ends"),
    "camp.plan_deadline": ("活动方案截止日期", "Plan deadline"),
    "camp.summary_deadline": ("总结截止日期", "Summary deadline"),
    "camp.upload_opens_at": ("上传开始（北京时间）", "Uploads open (Beijing time)"),
    "camp.upload_closes_at": ("上传截止（北京时间）", "Uploads close (Beijing time)"),
    "camp.limits": ("上传限额", "Upload limits"),
    "camp.max_image_bytes": ("单张图片最大字节数", "Largest photo (bytes)"),
    "camp.max_video_bytes": ("单个视频最大字节数", "Largest video (bytes)"),
    "camp.org_quota_bytes": ("每单位总配额（字节）", "Quota per organisation (bytes)"),
    "camp.min_image_pixels": ("图片最少像素", "Fewest pixels of a photo"),
    "camp.min_video_height": ("视频最小高度（像素）", "Smallest video height (pixels)"),
    "camp.min_video_seconds": ("视频最短时长（秒）", "Shortest video (seconds)"),
    "camp.max_video_seconds": ("视频最长时长（秒）", "Longest video (seconds)"),
    "camp.copy_from": ("标签体系复制自", "Copy the taxonomy from"),
    "camp.seed": ("默认标签体系", "The default taxonomy"),
    "camp.saved": ("已保存", "Saved"),
    "camp.created": ("已创建活动周", "Campaign created"),
    "camp.theme_tags": ("主题标签（每行一个：名称 | English）", "Theme tags (one a line: name | English)"),
    "camp.week_keywords": ("活动周关键词（每行一个）", "Words naming the week (one a line)"),
    "camp.facet": ("分类", "Facet"),
    "camp.facet_code": ("分类代码", "Facet code"),
    "camp.facet_new": ("新增分类", "New facet"),
    "camp.facet_tags": ("标签（每行一个：名称 | English | 同义词、同义词 | 视觉提示）",
                        "Tags (one a line: name | English | synonyms separated by 、 | visual prompt)"),
    "camp.tags": ("标签数", "Tags"),
    "camp.open": ("上传开放中", "Open for uploads"),
    "camp.week_report": ("活动周工作报告", "Week report"),
    "camp.week_report_make": ("生成活动周工作报告（DOCX / PDF）", "Generate the week report (DOCX / PDF)"),
    "camp.week_report_started": ("报告正在生成，稍后刷新本页即可下载", "The report is being generated; reload shortly"),
    "week_report_status.pending": ("生成中", "Generating"),
    "week_report_status.ready": ("已生成", "Ready"),
    "week_report_status.failed": ("生成失败", "Failed"),
    "camp.error": ("未保存", "Not saved"),
})


def current_campaign(request: Request, session: Session) -> Campaign | None:
    """The campaign this browser chose (cookie), else the one open for uploads, else the latest."""
    return service.chosen_campaign(session, request.cookies.get(service.CAMPAIGN_COOKIE))


@router.post("/campaign/switch")
async def switch(request: Request, principal: WebPrincipalDep) -> Response:
    form = await request.form()
    target = safe_next(str(form.get("next") or ""), "/")
    response = RedirectResponse(target, status_code=303)
    try:
        chosen = uuid.UUID(str(form.get("campaign_id") or ""))
    except ValueError:
        return response
    response.set_cookie(service.CAMPAIGN_COOKIE, str(chosen), max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/campaigns")
def list_page(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    campaigns = service.list_campaigns(session)
    now = datetime.now().astimezone()
    return render(request, "campaigns/list.html", campaigns=campaigns, now=now,
                  can_edit=principal.role == Role.admin, msg=request.query_params.get("msg"))


def _form_values(form: Any) -> dict[str, str]:
    fields = ("name", "year", "theme", *DATE_FIELDS, *MOMENT_FIELDS, *service.LIMITS, "copy_from")
    return {f: str(form.get(f) or "").strip() for f in fields}


def _parsed(values: dict[str, str], *, partial: bool) -> dict[str, Any]:
    """Form text as typed values; bad dates or numbers are ``campaign_form_invalid`` naming the field."""
    out: dict[str, Any] = {}
    try:
        for field in ("name", "theme"):
            out[field] = values[field]
        if values["year"]:
            out["year"] = int(values["year"])
        for field in DATE_FIELDS:
            out[field] = date.fromisoformat(values[field]) if values[field] else None
        for field in MOMENT_FIELDS:
            if values[field]:
                out[field] = datetime.fromisoformat(values[field]).replace(tzinfo=BEIJING)
            elif not partial:
                out[field] = None
        for field in service.LIMITS:
            if values[field]:
                number = float(values[field])
                out[field] = number if "seconds" in field else int(number)
        for field in (*DATE_FIELDS, *MOMENT_FIELDS):
            moment = out.get(field)
            if moment is not None and not 2000 <= moment.year <= 2100:
                raise ValueError(field)
    except (ValueError, OverflowError) as exc:
        raise service.CampaignError("campaign_form_invalid", f"日期或数字格式不正确：{field}",
                                    f"{field} is not a valid date or number") from exc
    for field in ("year", "week_start", "week_end"):
        if out.get(field) is None:
            raise service.CampaignError("campaign_form_invalid", f"请填写 {field}", f"{field} is required")
    return out


def _values_of(campaign: Campaign) -> dict[str, str]:
    values = {f: str(getattr(campaign, f) or "") for f in ("name", "year", "theme", *DATE_FIELDS)}
    for field in MOMENT_FIELDS:
        values[field] = getattr(campaign, field).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    for field in service.LIMITS:
        values[field] = f"{getattr(campaign, field):g}"
    return values


def _form(request: Request, session: Session, campaign: Campaign | None, values: dict[str, str],
          error: str | None = None, status: int = 200) -> Response:
    return render(request, "campaigns/form.html", status_code=status, campaign=campaign, values=values, error=error,
                  limits=service.LIMITS, campaigns=service.list_campaigns(session),
                  msg=request.query_params.get("msg"))


@router.get("/campaigns/new")
def new_page(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    return _form(request, session, None, {})


@router.post("/campaigns/new")
async def create(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    values = _form_values(await request.form())
    try:
        data = _parsed(values, partial=False)
        limits = {f: data.pop(f) for f in service.LIMITS if f in data}
        copy_from = uuid.UUID(values["copy_from"]) if values["copy_from"] else None
        with session.begin_nested():
            campaign = service.create_campaign(session, **data, limits=limits, copy_from=copy_from, actor=principal)
    except Problem as problem:
        return _form(request, session, None, values, i18n.detail_text(problem.detail, i18n.lang_of(request)),
                     problem.status)
    return RedirectResponse(f"/campaigns/{campaign.id}/edit?msg=created", status_code=303)


@router.get("/campaigns/{campaign_id}/edit")
def edit_page(campaign_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    return _form(request, session, campaign, _values_of(campaign))


@router.post("/campaigns/{campaign_id}/edit")
async def edit(campaign_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    values = _form_values(await request.form())
    try:
        with session.begin_nested():
            service.update_campaign(session, campaign_id=campaign.id, changes=_parsed(values, partial=True),
                                    actor=principal)
    except Problem as problem:
        session.expire_all()
        return _form(request, session, service.get_campaign(session, campaign_id), values,
                     i18n.detail_text(problem.detail, i18n.lang_of(request)), problem.status)
    return RedirectResponse(f"/campaigns/{campaign.id}/edit?msg=saved", status_code=303)


def _lines(text: str) -> list[list[str]]:
    return [[part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()]


def taxonomy_from_form(form: Any) -> dict[str, Any]:
    """The taxonomy page's textareas as a taxonomy document (``service.replace_taxonomy`` checks it)."""
    facets = []
    index = 0
    while f"facet_code_{index}" in form:
        code = str(form.get(f"facet_code_{index}") or "").strip()
        tags = [{"name": p[0], "en": p[1] if len(p) > 1 else "",
                 "keywords": [k.strip() for k in (p[2] if len(p) > 2 else "").replace("，", "、").replace(",", "、")
                              .split("、") if k.strip()],
                 "visual_prompt": p[3] if len(p) > 3 and p[3] else None}
                for p in _lines(str(form.get(f"facet_tags_{index}") or ""))]
        if code or tags:
            facets.append({"code": code, "name": str(form.get(f"facet_name_{index}") or "").strip(),
                           "en": str(form.get(f"facet_en_{index}") or "").strip(), "tags": tags})
        index += 1
    themes = [{"name": p[0], "en": p[1] if len(p) > 1 else ""} for p in _lines(str(form.get("theme_tags") or ""))]
    keywords = [line[0] for line in _lines(str(form.get("week_keywords") or ""))]
    return {"facets": facets, "theme_tags": themes, "week_keywords": keywords}


def _taxonomy_page(request: Request, campaign: Campaign, document: dict[str, Any], error: str | None = None,
                   status: int = 200) -> Response:
    return render(request, "campaigns/taxonomy.html", status_code=status, campaign=campaign, doc=document,
                  error=error, msg=request.query_params.get("msg"))


@router.get("/campaigns/{campaign_id}/taxonomy")
def taxonomy_page(campaign_id: uuid.UUID, request: Request, principal: AdminPage, session: SessionDep) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    return _taxonomy_page(request, campaign, service.taxonomy_document(session, campaign_id))


@router.post("/campaigns/{campaign_id}/taxonomy")
async def taxonomy_save(campaign_id: uuid.UUID, request: Request, principal: AdminPage,
                        session: SessionDep) -> Response:
    campaign = service.get_campaign(session, campaign_id)
    document = taxonomy_from_form(await request.form())
    try:
        with session.begin_nested():
            service.replace_taxonomy(session, campaign_id=campaign_id, document=document, actor=principal)
    except Problem as problem:
        return _taxonomy_page(request, campaign, document, i18n.detail_text(problem.detail, i18n.lang_of(request)),
                              problem.status)
    return RedirectResponse(f"/campaigns/{campaign_id}/taxonomy?msg=saved", status_code=303)


@router.post("/dashboard/week-report")
async def week_report_button(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    """The dashboard's button: a week report of the campaign shown (else the current one), built by a worker."""
    raw = str((await request.form()).get("campaign_id") or "")
    campaign = service.chosen_campaign(session, raw) if raw else current_campaign(request, session)
    if campaign is None:
        return RedirectResponse("/dashboard", status_code=303)
    request_week_report(session, principal, campaign.id, request.client.host if request.client else None)
    return RedirectResponse(f"/dashboard?campaign_id={campaign.id}&msg=week_report", status_code=303)
