"""Submitters' pages: their organisation's submissions and deadlines, the metadata form, upload and status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.db.campaign import Campaign
from service.db.submission import Submission
from service.ingest import submissions
from service.ingest.schemas import SubmissionCreate, SubmissionUpdate
from service.ingest.vocabulary import CATEGORIES, THEME_TAGS
from service.web import forms, i18n
from service.web.deps import SubmitterPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({
    "sub.title": ("本单位报送", "Our submissions"),
    "sub.deadlines": ("活动周时间节点", "Activity Week deadlines"),
    "sub.new": ("新建报送", "New submission"),
    "sub.edit": ("修改报送信息", "Edit submission"),
    "sub.save": ("保存", "Save"),
    "sub.none": ("还没有报送，请先新建报送。", "No submissions yet."),
    "sub.assets": ("素材数", "Files"),
    "sub.upload": ("上传照片和视频", "Upload photos and videos"),
    "sub.drop": ("把照片和视频拖到这里，或点击选择文件（支持断点续传）",
                 "Drop photos and videos here or click to choose (resumable)"),
    "sub.status": ("素材处理状态", "Processing status"),
    "sub.errors": ("请修改标红的内容", "Please correct the fields marked in red"),
    "sub.created": ("报送已创建，现在可以上传素材", "Submission created; you can upload files now"),
    "sub.saved": ("已保存", "Saved"),
    "sub.pause": ("暂停", "Pause"),
    "sub.resume": ("继续", "Resume"),
})


@dataclass
class Deadline:
    label: str
    due: date | None
    done: bool

    @property
    def state(self) -> str:
        if self.done:
            return "done"
        if self.due is None:
            return "none"
        return "overdue" if self.due < datetime.now(UTC).date() else "open"

    @property
    def days_left(self) -> int | None:
        return (self.due - datetime.now(UTC).date()).days if self.due else None


def current_campaign(session: Session) -> Campaign | None:
    return submissions.open_campaign(session) or session.scalars(
        select(Campaign).order_by(Campaign.week_start.desc())).first()


def deadlines(session: Session, principal: Principal, campaign: Campaign) -> list[Deadline]:
    """Plan, week and summary with what this organisation has already filed."""
    categories = set(session.scalars(select(Submission.category).where(
        Submission.org_id == principal.org_id, Submission.campaign_id == campaign.id)).all())
    material = bool(categories - {"summary"})
    return [
        Deadline("活动计划 / plan", campaign.plan_deadline, False),
        Deadline("活动周素材（照片、视频、案例）/ material during the week", campaign.week_end, material),
        Deadline("上传截止 / uploads close", campaign.upload_closes_at.date(), False),
        Deadline("活动总结 / summary", campaign.summary_deadline, "summary" in categories),
    ]


@router.get("/submissions")
def list_page(request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    rows, total = submissions.list_submissions(session, principal=principal, campaign_id=None, limit=200, offset=0)
    campaign = current_campaign(session)
    return render(request, "submissions.html", rows=rows, total=total, campaign=campaign,
                  deadlines=deadlines(session, principal, campaign) if campaign else [], categories=CATEGORIES)


def _form_context(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "categories": CATEGORIES, "theme_tags": THEME_TAGS}


@router.get("/submissions/new")
def new_page(request: Request, principal: SubmitterPage) -> Response:
    return render(request, "submission_form.html", submission=None,
                  **_form_context({"category": "activity_photos", "theme_tags": []}, {}))


@router.post("/submissions/new")
async def create(request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    values = forms.form_values(await request.form())
    model, errors = forms.validate(SubmissionCreate, values, i18n.lang_of(request))
    if model is None:
        return render(request, "submission_form.html", status_code=422, submission=None,
                      **_form_context(values, errors))
    try:
        submission = submissions.create_submission(session, principal=principal, data=model)  # type: ignore[arg-type]
    except Problem as problem:
        return render(request, "submission_form.html", status_code=problem.status, submission=None,
                      **_form_context(values, {"_": problem.detail}))
    return RedirectResponse(f"/submissions/{submission.id}?msg=created", status_code=303)


@router.get("/submissions/{submission_id}")
def detail_page(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id)
    return render(request, "submission.html", submission=submission, categories=CATEGORIES,
                  msg=request.query_params.get("msg"),
                  upload_open=submission.campaign.upload_open(datetime.now(UTC)))


@router.get("/submissions/{submission_id}/edit")
def edit_page(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id)
    values = {name: getattr(submission, name) for name in forms.FIELD_LABELS}
    return render(request, "submission_form.html", submission=submission, **_form_context(values, {}))


@router.post("/submissions/{submission_id}/edit")
async def update(submission_id: uuid.UUID, request: Request, principal: SubmitterPage, session: SessionDep) -> Response:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id)
    values = forms.form_values(await request.form())
    model, errors = forms.validate(SubmissionUpdate, values, i18n.lang_of(request))
    if model is None or not values["title"]:
        errors.setdefault("title", forms.field_message({"loc": ("title",), "type": "missing"}, i18n.lang_of(request)))
        return render(request, "submission_form.html", status_code=422, submission=submission,
                      **_form_context(values, errors))
    try:
        submissions.update_submission(session, principal=principal, submission_id=submission.id,
                                      data=model)  # type: ignore[arg-type]
    except Problem as problem:
        return render(request, "submission_form.html", status_code=problem.status, submission=submission,
                      **_form_context(values, {"_": problem.detail}))
    return RedirectResponse(f"/submissions/{submission.id}?msg=saved", status_code=303)
