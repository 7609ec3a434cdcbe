"""Submitters' pages: their organisation's submissions and deadlines, the metadata form, upload and status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from service.consent.pages import submission_consent
from service.core import orgscope
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.tasks import PIPELINE_STEPS
from service.db.asset import Asset, AssetStatus, ReviewStatus
from service.db.campaign import Campaign, campaign_taxonomy
from service.hierarchy.prereview import submission_state
from service.ingest import submissions
from service.ingest.schemas import SubmissionCreate, SubmissionUpdate
from service.ingest.vocabulary import CATEGORIES
from service.reporting import service as reporting
from service.reporting.deadlines import deadline_statuses
from service.web import forms, i18n
from service.web.deps import SubmitterPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({
    "sub.title": ("本单位报送", "Our submissions"),
    "sub.deadlines": ("活动周时间节点", "Activity Week deadlines"),
    "sub.week": ("活动周 {start} 至 {end}", "Activity Week {start} to {end}"),
    "sub.item": ("事项", "Item"),
    "sub.due": ("截止", "Due"),
    "sub.state": ("状态", "State"),
    "sub.deadline.plan": ("活动计划", "Plan"),
    "sub.deadline.material": ("活动周素材（照片、视频、案例）", "Material during the week (photos, videos, cases)"),
    "sub.deadline.uploads": ("上传截止", "Uploads close"),
    "sub.deadline.summary": ("活动总结", "Summary"),
    "sub.new": ("新建报送", "New submission"),
    "sub.edit": ("修改报送信息", "Edit submission"),
    "sub.save": ("保存", "Save"),
    "sub.none": ("还没有报送，请先新建报送。", "No submissions yet."),
    "sub.assets": ("素材数", "Files"),
    "sub.summary": ("处理与审核", "Progress"),
    "sub.updated": ("更新时间", "Updated"),
    "sub.upload": ("上传照片和视频", "Upload photos and videos"),
    "sub.drop": ("把照片和视频拖到这里，或点击选择文件（支持断点续传）",
                 "Drop photos and videos here or click to choose (resumable)"),
    "sub.choose": ("选择文件", "Choose files"),
    "sub.status": ("素材处理状态", "Processing status"),
    "sub.status_hint": ("每个文件可单独填写标题和说明（人物、事件、地点）；被退回的文件修改说明后会重新进入审核。",
                        "Give each file its own headline and caption (who, what, where); a returned file goes back "
                        "to review once fixed."),
    "sub.errors": ("请修改标红的内容", "Please correct the fields marked in red"),
    "sub.created": ("报送已创建，现在可以上传素材", "Submission created; you can upload files now"),
    "sub.saved": ("已保存", "Saved"),
    "sub.pause": ("暂停", "Pause"),
    "sub.resume": ("继续", "Resume"),
    "sub.closed": ("「{name}」当前不在上传时间内（北京时间 {opens} 至 {closes}）",
                   "Uploads for “{name}” are closed (open {opens} to {closes}, Beijing time)"),
    "sub.col.file": ("文件", "File"),
    "sub.col.processing": ("处理状态", "Processing"),
    "sub.col.review": ("审核结果", "Decision"),
    "sub.col.reason": ("原因与处理建议", "Reason and what to do"),
    "sub.editor_note": ("编辑说明", "Editor's note"),
    "sub.headline": ("文件标题", "Headline"),
    "sub.caption": ("文件说明（人物、事件、地点）", "Caption (who, what, where)"),
    "sub.describe": ("填写此文件的标题和说明", "Headline and caption for this file"),
    "sub.fix_resubmit": ("修改后重新提交审核", "Fix and send back to review"),
    "sub.resubmitted": ("已重新提交审核", "Sent back to review"),
    "sub.caption_saved": ("已保存", "Saved"),
    "sub.replace": ("上传替换文件", "Upload a replacement"),
    "sub.prereview_returned": ("上级单位退回了此报送，请修改后保存，将重新进入预审",
                               "Your parent organisation returned this submission; change and save it to send it "
                               "back to pre-review"),
    "sub.prereview_forwarded": ("上级单位已将此报送转报教育部",
                                "Your parent organisation forwarded this to the ministry"),
    "field.title": ("标题", "Title"),
    "field.category": ("类别", "Category"),
    "field.activity": ("活动名称", "Activity"),
    "field.activity_date": ("活动日期", "Date"),
    "field.place": ("活动地点", "Place"),
    "field.region_code": ("地区代码", "Region code"),
    "field.description": ("活动简介", "Description"),
    "field.theme_tags": ("主题标签", "Theme tags"),
    "field.credits": ("署名", "Credits"),
    "field.consent": ("已取得肖像使用授权（含未成年人监护人同意）", "Portrait consent obtained (incl. guardians of "
                      "minors)"),
    "field.consent_short": ("肖像授权", "Portrait consent"),
    "field.required": ("必填", "required"),
})


def current_campaign(session: Session, request: Request | None = None) -> Campaign | None:
    """The campaign chosen in the header's switcher, else the open one (``service.reporting.current_campaign``)."""
    return reporting.current_campaign(session, request.cookies.get("campaign") if request else None)


@router.get("/submissions")
def list_page(request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    rows, total = submissions.list_submissions(session, principal=principal, campaign_id=None, limit=200, offset=0)
    campaign = current_campaign(session, request)
    return render(request, "submissions.html", rows=rows, total=total, campaign=campaign,
                  deadlines=deadline_statuses(session, org_id=principal.org_id, campaign=campaign) if campaign
                  else [],
                  summaries=summaries(session, [s.id for s, _ in rows]))


@dataclass
class SubmissionSummary:
    """What became of a submission's files, for its row: counts per state and one picture."""

    counts: dict[str, int]
    thumb_id: uuid.UUID | None


def summaries(session: Session, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, SubmissionSummary]:
    if not submission_ids:
        return {}
    out: dict[uuid.UUID, SubmissionSummary] = {i: SubmissionSummary({}, None) for i in submission_ids}
    state = case((Asset.status == AssetStatus.ready, cast(Asset.review_status, String)),
                 else_=cast(Asset.status, String))
    for submission_id, key, n in session.execute(
            select(Asset.submission_id, state, func.count()).where(Asset.submission_id.in_(submission_ids))
            .group_by(Asset.submission_id, state)).all():
        out[submission_id].counts[str(key)] = n
    for submission_id, asset_id in session.execute(
            select(Asset.submission_id, func.min(cast(Asset.id, String)))
            .where(Asset.submission_id.in_(submission_ids), Asset.status == AssetStatus.ready)
            .group_by(Asset.submission_id)).all():
        out[submission_id].thumb_id = uuid.UUID(asset_id)
    return out


def _form_context(values: dict[str, Any], errors: dict[str, str], theme_tags: tuple[tuple[str, str], ...] = ()
                  ) -> dict[str, Any]:
    return {"values": values, "errors": errors, "categories": CATEGORIES, "theme_tags": theme_tags}


def theme_tags_of(session: Session, campaign_id: uuid.UUID | None) -> tuple[tuple[str, str], ...]:
    """(name, English name) of the theme tags the campaign offers (its stored taxonomy)."""
    if campaign_id is None:
        campaign = current_campaign(session)
        campaign_id = campaign.id if campaign else None
    return campaign_taxonomy(session, campaign_id).theme_tags if campaign_id else ()


@router.get("/submissions/new")
def new_page(request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    return render(request, "submission_form.html", submission=None,
                  **_form_context({"category": "activity_photos", "theme_tags": []}, {}, theme_tags_of(session, None)))


@router.post("/submissions/new")
async def create(request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    values = forms.form_values(await request.form())
    model, errors = forms.validate(SubmissionCreate, values, i18n.lang_of(request))
    if model is None:
        return render(request, "submission_form.html", status_code=422, submission=None,
                      **_form_context(values, errors, theme_tags_of(session, None)))
    try:
        submission = submissions.create_submission(session, principal=principal, data=model)  # type: ignore[arg-type]
    except Problem as problem:
        return render(request, "submission_form.html", status_code=problem.status, submission=None,
                      **_form_context(values, {"_": i18n.detail_text(problem.detail, i18n.lang_of(request))},
                                      theme_tags_of(session, None)))
    return RedirectResponse(f"/submissions/{submission.id}?msg=created", status_code=303)


@router.get("/submissions/{submission_id}")
def detail_page(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id)
    can_edit = orgscope.can_edit_org(principal, submission.org_id)
    lang = i18n.lang_of(request)
    t = i18n.translator(lang)
    names = {
        "asset_status": {s.value: i18n.name("asset_status", s, lang) for s in AssetStatus} | {"_": t("common.none")},
        "review_status": {s.value: i18n.name("review_status", s, lang) for s in ReviewStatus},
        "step": {step: i18n.name("step", step, lang) for step in (*PIPELINE_STEPS, "image", "video", "frames")}
        | {"_": i18n.name("asset_status", "processing", lang)},
        "labels": {"file": t("sub.col.file"), "processing": t("sub.col.processing"), "review": t("sub.col.review"),
                   "reason": t("sub.col.reason"), "editor_note": t("sub.editor_note"),
                   "headline": t("sub.headline"), "caption": t("sub.caption"), "describe": t("sub.describe"),
                   "save": t("common.save"), "saved": t("sub.caption_saved"), "fix_resubmit": t("sub.fix_resubmit"),
                   "resubmitted": t("sub.resubmitted"), "replace": t("sub.replace")},
    }
    return render(request, "submission.html", submission=submission, msg=request.query_params.get("msg"),
                  upload_open=submission.campaign.upload_open(datetime.now(UTC)) and can_edit, status_names=names,
                  can_edit=can_edit, prereview=submission_state(session, submission.id),
                  **submission_consent(session, submission))


@router.get("/submissions/{submission_id}/edit")
def edit_page(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id, edit=True)
    values = {name: getattr(submission, name) for name in forms.FIELD_LABELS}
    return render(request, "submission_form.html", submission=submission,
                  **_form_context(values, {}, theme_tags_of(session, submission.campaign_id)))


@router.post("/submissions/{submission_id}/edit")
async def update(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id, edit=True)
    values = forms.form_values(await request.form())
    model, errors = forms.validate(SubmissionUpdate, values, i18n.lang_of(request))
    if model is None or not values["title"]:
        errors.setdefault("title", forms.field_message({"loc": ("title",), "type": "missing"}, i18n.lang_of(request)))
        return render(request, "submission_form.html", status_code=422, submission=submission,
                      **_form_context(values, errors, theme_tags_of(session, submission.campaign_id)))
    try:
        submissions.update_submission(session, principal=principal, submission_id=submission.id,
                                      data=model)  # type: ignore[arg-type]
    except Problem as problem:
        return render(request, "submission_form.html", status_code=problem.status, submission=submission,
                      **_form_context(values, {"_": problem.detail}, theme_tags_of(session, submission.campaign_id)))
    return RedirectResponse(f"/submissions/{submission.id}?msg=saved", status_code=303)
