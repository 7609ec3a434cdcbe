"""Editors' pages: the queue grid, the asset detail (claimed on open) with decisions and edits, and the dashboard."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assets.service import get_asset, jobs_of
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.db.campaign import Campaign
from service.db.submission import Submission
from service.ingest.vocabulary import CATEGORIES
from service.review import audit, claims, clusters, saved
from service.review.queue import SORTS, STATUSES, QueueFilter, queue_page
from service.review.reasons import REASONS
from service.review.regions import PROVINCES
from service.review.schemas import QueueParams
from service.web import i18n
from service.web.deps import EditorPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)

i18n.register({
    "rv.queue": ("审核队列", "Review queue"),
    "rv.filter": ("筛选", "Filter"),
    "rv.search": ("搜索标题、说明、图中文字、标签", "Search titles, captions, OCR text, tags"),
    "rv.more": ("下一页", "Next page"),
    "rv.empty": ("没有符合条件的素材", "Nothing matches these filters"),
    "rv.saved": ("常用筛选", "Saved filters"),
    "rv.save_as": ("保存当前筛选为", "Save this filter as"),
    "rv.approve": ("采用", "Approve"),
    "rv.reject": ("不采用", "Reject"),
    "rv.feature": ("精选", "Feature"),
    "rv.return": ("退回补充", "Return"),
    "rv.keys": ("快捷键：j/k 下一个/上一个，a 采用，r 不采用，f 精选", "Keys: j/k next/previous, a approve, "
                "r reject, f feature"),
    "rv.bulk": ("对选中的素材", "With the selected"),
    "dash.title": ("数据看板", "Dashboard"),
})

#: Finding labels editors filter by (published by the screening steps as risk flags).
FINDINGS = {"nudity": "裸露 / nudity", "promotion": "商业推广 / promotion", "qr": "二维码 / QR code",
            "phone": "电话号码 / phone", "watermark": "平台水印 / watermark", "sensitive": "敏感词 / sensitive words",
            "low_quality": "质量低 / low quality", "faces": "人脸 / faces"}


def queue_params(request: Request) -> tuple[QueueParams | None, str | None]:
    raw = {k: v for k, v in request.query_params.items() if v != "" and k in QueueParams.model_fields}
    try:
        return QueueParams.model_validate(raw), None
    except ValidationError:
        return None, "筛选条件有误，已恢复默认 / invalid filter, reset to defaults"


def _query_string(params: QueueParams) -> str:
    return urlencode({k: v for k, v in params.model_dump(mode="json", exclude_defaults=True).items()})


@router.get("/review")
def queue(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    params, error = queue_params(request)
    params = params or QueueParams()
    cursor = request.query_params.get("cursor") or None
    try:
        rows, next_cursor = queue_page(session, f=QueueFilter(**params.model_dump()), limit=48, cursor=cursor)
    except Problem as problem:
        rows, next_cursor, error = [], None, problem.detail
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(20)).all()
    return render(request, "review_queue.html", main_class="wide", rows=rows, params=params, error=error,
                  next_cursor=next_cursor, query=_query_string(params), campaigns=campaigns, provinces=PROVINCES,
                  categories=CATEGORIES, findings=FINDINGS, statuses=STATUSES, sorts=SORTS, reasons=REASONS,
                  saved_filters=saved.list_filters(session, principal=principal), msg=request.query_params.get("msg"))


@router.post("/review/filters")
async def save_filter(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()[:80]
    query = {k: v for k, v in request.query_params.items() if k in QueueParams.model_fields and v}
    if name:
        saved.save_filter(session, principal=principal, name=name, query=query)
    return RedirectResponse(f"/review?{urlencode(query)}", status_code=303)


@router.post("/review/filters/{filter_id}/delete")
def delete_filter(filter_id: uuid.UUID, principal: EditorPage, session: SessionDep) -> Response:
    saved.delete_filter(session, principal=principal, filter_id=filter_id)
    return RedirectResponse("/review", status_code=303)


def detail_context(session: Session, principal: Principal, asset_id: uuid.UUID) -> dict[str, Any]:
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    review = claims.load_review(session, asset_id)
    submission = session.get(Submission, asset.submission_id)
    members = clusters.members(session, review.cluster_id) if review.cluster_id else []
    duration = asset.duration or 0
    timeline = [
        {"left": min(100.0, 100 * float(f["detail"]["t"]) / duration), "label": f.get("label", "")}
        for f in review.findings or []
        if duration and isinstance(f.get("detail"), dict) and isinstance(f["detail"].get("t"), int | float)
    ]
    return {"asset": asset, "review": review, "submission": submission, "members": members, "timeline": timeline,
            "events": audit.events_of(session, asset_id), "jobs": jobs_of(session, asset_id), "reasons": REASONS,
            "renditions": {r.name for r in asset.renditions}, "categories": CATEGORIES, "provinces": PROVINCES,
            "findings_names": FINDINGS}


@router.get("/review/assets/{asset_id}")
def detail(asset_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep) -> Response:
    """Opening an asset claims it; another editor's live claim is shown instead of the decision buttons."""
    claim_error = None
    try:
        with session.begin_nested():
            claims.claim(session, principal=principal, asset_id=asset_id)
    except Problem as problem:
        if problem.status != 409:
            raise
        claim_error = problem.detail
    return render(request, "review_asset.html", main_class="wide", claim_error=claim_error, error=None,
                  msg=request.query_params.get("msg"), **detail_context(session, principal, asset_id))


def detail_with_error(request: Request, session: Session, principal: Principal, asset_id: uuid.UUID,
                       problem: Problem) -> Response:
    session.rollback()
    return render(request, "review_asset.html", status_code=problem.status, main_class="wide", claim_error=None,
                  error=problem.detail, msg=None, **detail_context(session, principal, asset_id))


@router.get("/dashboard")
def dashboard_page(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    from service.review import dashboard

    raw = request.query_params.get("campaign_id")
    try:
        campaign_id = uuid.UUID(raw) if raw else None
    except ValueError:
        campaign_id = None
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(20)).all()
    return render(request, "dashboard.html", counts=dashboard.counts(session, campaign_id=campaign_id),
                  backlog=dashboard.backlog(), slowest=dashboard.slowest_steps(session), campaigns=campaigns,
                  campaign_id=campaign_id, export_query=f"?campaign_id={campaign_id}" if campaign_id else "")
