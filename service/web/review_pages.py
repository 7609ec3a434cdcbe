"""Editors' pages: the queue grid, the asset detail (claimed on open) with decisions and edits, and the dashboard."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from service.assets.clusters import best_shot_key, similar_shots
from service.assets.service import get_asset, jobs_of
from service.consent.endpoints import consent_out
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.findings import FILTERS, FINDINGS, FindingKind
from service.core.security import Principal
from service.db.asset import Asset
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.screening import AssetScreening, SimilarShot
from service.db.submission import Submission
from service.ingest.vocabulary import CATEGORIES
from service.review import audit, claims, clusters, saved
from service.review.queue import SORTS, STATUSES, QueueCounts, QueueFilter, queue_counts, queue_page
from service.review.reasons import REASONS
from service.review.regions import PROVINCES
from service.review.schemas import QueueParams
from service.web import i18n
from service.web.deps import EditorPage
from service.web.templating import flatten, render

router = APIRouter(include_in_schema=False)

i18n.register({
    "rv.queue": ("审核队列", "Review queue"),
    "rv.filter": ("筛选", "Filter"),
    "rv.search": ("搜索标题、说明、图中文字、标签", "Search titles, captions, text in pictures, tags"),
    "rv.more": ("下一页", "Next page"),
    "rv.empty": ("没有符合条件的素材", "Nothing matches these filters"),
    "rv.empty_done": ("本筛选下的素材已全部审核完毕，筛选条件已保留。", "Everything under this filter is decided; "
                      "the filter is kept."),
    "rv.saved": ("常用筛选", "Saved filters"),
    "rv.save_as": ("保存当前筛选为", "Save this filter as"),
    "rv.save": ("保存筛选", "Save filter"),
    "rv.delete_filter": ("删除常用筛选", "Delete saved filter"),
    "rv.delete_confirm": ("确定删除这个常用筛选吗？", "Delete this saved filter?"),
    "rv.approve": ("采用", "Approve"),
    "rv.reject": ("不采用", "Reject"),
    "rv.feature": ("精选", "Feature"),
    "rv.return": ("退回补充", "Return"),
    "rv.keys": ("快捷键：j/k 下一个/上一个，a 采用，r 不采用，f 精选，u 撤销", "Keys: j/k next/previous, a approve, "
                "r reject, f feature, u undo"),
    "rv.bulk": ("对选中的素材", "With the selected"),
    "rv.select_all": ("全选", "Select all"),
    "rv.reason": ("原因", "Reason"),
    "rv.reason_needed": ("原因（不采用、退回时必选）", "Reason (needed to reject or return)"),
    "rv.choose": ("请选择", "Choose"),
    "rv.note": ("说明", "Note"),
    "rv.note_submitter": ("给报送单位的说明", "Note to the submitter"),
    "rv.campaign": ("活动周", "Campaign"),
    "rv.region": ("地区", "Region"),
    "rv.category": ("类别", "Category"),
    "rv.kind": ("类型", "Media"),
    "rv.status": ("审核状态", "Decision"),
    "rv.finding": ("检测结果", "Finding"),
    "rv.tag": ("标签", "Tag"),
    "rv.cluster": ("重复组", "Duplicates"),
    "rv.in_cluster": ("有重复", "In a duplicate cluster"),
    "rv.captured_from": ("拍摄日期自", "Taken from"),
    "rv.captured_to": ("拍摄日期至", "Taken until"),
    "rv.uploaded_from": ("上传日期自", "Uploaded from"),
    "rv.uploaded_to": ("上传日期至", "Uploaded until"),
    "rv.sort": ("排序", "Sort"),
    "rv.quality": ("质量", "Quality"),
    "rv.reviewing": ("审核中", "reviewing"),
    "rv.counts": ("共 {total} 项，待审核 {remaining} 项", "{total} in all, {remaining} awaiting review"),
    "rv.counts_skipped": ("匹配项太多，未逐一计数；总数见数据看板",
                          "Too many matches to count here; the dashboard has the totals"),
    "rv.bulk_done": ("批量操作完成：{done} 项；跳过 {skipped} 项（正由其他编辑审核）",
                     "Bulk action done: {done}; {skipped} skipped (another editor has them)"),
    "rv.bulk_reason": ("批量不采用或退回时必须选择原因", "Choose a reason to reject or return in bulk"),
    "rv.bulk_empty": ("请先勾选素材", "Select some items first"),
    "rv.bulk_invalid": ("操作无效", "That action is not available"),
    "rv.decision_saved": ("已保存决定", "Decision saved"),
    "rv.undone": ("已撤销", "Undone"),
    "rv.undo_hint": ("已{action}：{title}", "{action}: {title}"),
    "rv.add_to_collection": ("加入合集", "Add to a collection"),
    "rv.bad_filter": ("筛选条件有误，已恢复默认", "The filter was invalid and has been reset"),
    "rv.saved_msg": ("已保存", "Saved"),
    "rv.cluster_resolved": ("重复组已处理：保留本素材，其余标记为重复", "Cluster resolved: this file kept, the others "
                            "marked as duplicates"),
    "rv.cluster_title": ("重复组", "Duplicate cluster"),
    "rv.keep": ("保留", "Keep"),
    "rv.best": ("建议最佳", "Suggested best"),
    "rv.keep_selected": ("保留所选，其余标记为重复", "Keep the selected one, mark the rest as duplicates"),
    "rv.similar_title": ("相似镜头", "Similar shots"),
    "rv.similar_hint": ("同一时刻的不同镜头，不是重复文件，也不会被自动处理；请比较后挑选一张。",
                        "Different shots of one moment, not copies, and nothing is done to them automatically; "
                        "compare them and pick one."),
    "rv.similar_count": ("相似镜头 {n}", "{n} similar shots"),
    "rv.similar_current": ("本素材", "This file"),
    "rv.resolution": ("分辨率", "Resolution"),
    "rv.findings": ("风险与检测", "Findings"),
    "rv.risks": ("风险", "Risks"),
    "rv.quality_findings": ("质量", "Quality"),
    "rv.facts": ("检测情况", "Screening facts"),
    "rv.nothing_found": ("未发现风险", "Nothing found"),
    "rv.score": ("置信度", "Confidence"),
    "rv.evidence": ("证据", "Evidence"),
    "rv.at": ("位置", "At"),
    "rv.ocr": ("图中文字", "Text in the picture"),
    "rv.timeline": ("检测结果在时间轴上的位置", "Findings on the timeline"),
    "rv.keyframes": ("关键帧", "Keyframes"),
    "rv.metadata": ("文件信息", "File details"),
    "rv.exif": ("拍摄参数（EXIF）", "Camera data (EXIF)"),
    "rv.filename": ("文件名", "File name"),
    "rv.format": ("格式", "Format"),
    "rv.size": ("大小", "Size"),
    "rv.captured": ("拍摄时间", "Taken"),
    "rv.location": ("拍摄位置", "Location"),
    "rv.uploaded": ("上传时间", "Uploaded"),
    "rv.checksum": ("校验值", "Checksum"),
    "rv.decision": ("决定", "Decision"),
    "rv.edit": ("标题、说明、署名与标签", "Headline, caption, credit and tags"),
    "rv.caption": ("图片说明", "Caption"),
    "rv.suggested_tags": ("建议标签（来自报送说明）", "Suggested tags (from the submission's text)"),
    "rv.credit": ("署名", "Credit"),
    "rv.remove_tag": ("删除", "Remove"),
    "rv.add_tags": ("添加标签（逗号分隔）", "Add tags (comma-separated)"),
    "rv.submission": ("报送信息", "Submission"),
    "rv.title": ("标题", "Title"),
    "rv.org": ("单位", "Organisation"),
    "rv.activity": ("活动", "Activity"),
    "rv.description": ("简介", "Description"),
    "rv.consent": ("肖像授权", "Portrait consent"),
    "rv.consent_yes": ("已取得", "Obtained"),
    "rv.consent_no": ("未勾选", "Not confirmed"),
    "rv.audit": ("审核记录", "Audit log"),
    "rv.when": ("时间", "Time"),
    "rv.who": ("编辑", "Editor"),
    "rv.what": ("操作", "Action"),
    "rv.changes": ("修改", "Changes"),
    "rv.pipeline": ("处理步骤", "Processing steps"),
    "rv.step": ("步骤", "Step"),
    "rv.attempts": ("尝试次数", "Attempts"),
    "rv.job_status": ("状态", "Status"),
    "rv.error": ("错误", "Error"),
    "rv.zoom": ("放大查看（2560 像素）", "Zoom (2560 px)"),
    "rv.close": ("关闭", "Close"),
    "rv.file_caption": ("报送单位的文件说明", "Submitter's caption for this file"),
    "rv.replaces": ("本文件替换了一个被退回的文件", "This file replaces a returned file"),
    "rv.replaced_history": ("被替换文件的审核记录", "Audit log of the replaced file"),
    "rv.open_replaced": ("查看被替换的文件", "Open the replaced file"),
    "dash.title": ("数据看板", "Dashboard"),
    "dash.all_campaigns": ("全部活动周", "All campaigns"),
    "dash.export_csv": ("导出 CSV", "Export CSV"),
    "dash.export_xlsx": ("导出 Excel", "Export Excel"),
    "dash.day": ("每日上传", "Uploads per day"),
    "dash.region": ("各地区素材", "Files per province"),
    "dash.review_status": ("审核状态", "Decisions"),
    "dash.pipeline_status": ("处理状态", "Processing"),
    "dash.kind": ("照片与视频", "Photos and videos"),
    "dash.category": ("报送类别", "Categories"),
    "dash.organisation": ("各单位素材", "Files per organisation"),
    "dash.backlog": ("队列积压", "Waiting jobs"),
    "dash.unavailable": ("不可用", "Unavailable"),
    "dash.slowest": ("最慢步骤（24 小时）", "Slowest steps (24 hours)"),
    "dash.jobs": ("数量", "Jobs"),
    "dash.avg": ("平均秒数", "Average s"),
    "dash.p95": ("95% 秒数", "95th percentile s"),
    "dash.silent": ("尚未报送的单位", "Organisations that have not submitted"),
    "dash.silent_none": ("所有单位均已报送", "Every organisation has submitted"),
    "similar_basis.hash": ("连拍/同一场景", "Burst / same scene"),
    "similar_basis.visual": ("画面内容相近", "Similar picture content"),
    "org_kind.province": ("省级教育行政部门", "Province"),
    "org_kind.committee": ("行业教学指导委员会", "Teaching committee"),
    "org_kind.school": ("学校", "School"),
    "org_kind.department": ("部门", "Department"),
    "org_kind.outlet": ("媒体", "Outlet"),
    "org_kind.ministry": ("教育部", "Ministry"),
})


def queue_params(request: Request) -> tuple[QueueParams | None, str | None]:
    raw = {k: v for k, v in request.query_params.items() if v != "" and k in QueueParams.model_fields}
    try:
        return QueueParams.model_validate(raw), None
    except ValidationError:
        return None, i18n.translator(i18n.lang_of(request))("rv.bad_filter")


def _query_string(params: QueueParams) -> str:
    return urlencode({k: v for k, v in params.model_dump(mode="json", exclude_defaults=True).items()})


@router.get("/review")
def queue(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    params, error = queue_params(request)
    params = params or QueueParams()
    cursor = request.query_params.get("cursor") or None
    try:
        rows, next_cursor = queue_page(session, f=QueueFilter(**params.model_dump()), limit=48, cursor=cursor)
        counts = queue_counts(session, f=QueueFilter(**params.model_dump()))
    except Problem as problem:
        rows, next_cursor, error = [], None, i18n.detail_text(problem.detail, i18n.lang_of(request))
        counts = QueueCounts(0, 0)
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(20)).all()
    return render(request, "review_queue.html", main_class="wide", rows=rows, params=params, error=error,
                  next_cursor=next_cursor, query=_query_string(params), campaigns=campaigns, provinces=PROVINCES,
                  categories=CATEGORIES, filters=FILTERS, statuses=STATUSES, sorts=SORTS, reasons=REASONS,
                  counts=counts, saved_filters=saved.list_filters(session, principal=principal),
                  similar_counts=similar_counts(session, [r.review.asset_id for r in rows]),
                  msg=request.query_params.get("msg"))


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
        {"left": min(100.0, 100 * float(f["detail"]["t"]) / duration), "code": f.get("label", "")}
        for f in review.findings or []
        if duration and isinstance(f.get("detail"), dict) and isinstance(f["detail"].get("t"), int | float)
    ]
    return {"asset": asset, "review": review, "submission": submission, "members": members, "timeline": timeline,
            "similar": similar_group(session, asset),
            "events": audit.events_of(session, asset_id), "jobs": jobs_of(session, asset_id), "reasons": REASONS,
            "replaced_events": audit.events_of(session, asset.replaces_id) if asset.replaces_id else [],
            "renditions": {r.name for r in asset.renditions}, "categories": CATEGORIES, "provinces": PROVINCES,
            "findings_by_kind": findings_by_kind(review.findings or []), "consent": consent_out(session, asset)}


def similar_group(session: Session, asset: Asset) -> list[dict[str, Any]]:
    """This photo and its similar shots as the page shows them, one tile per photo (this one first) with why it is
    similar (basis names: ``similar_basis.*``) and the suggested best of the group marked (the clusters' rule)."""
    shots = similar_shots(session, asset.id)
    if not shots:
        return []
    org = session.get(Organization, asset.org_id)
    quality = session.scalar(select(AssetScreening.quality_score).where(AssetScreening.asset_id == asset.id))
    group: dict[uuid.UUID, dict[str, Any]] = {asset.id: {
        "asset_id": asset.id, "org_name": org.name if org else "", "width": asset.width, "height": asset.height,
        "quality_score": quality, "uploaded_at": asset.created_at, "bases": [], "current": True, "best": False}}
    for shot in shots:
        entry = group.setdefault(shot.asset_id, {
            "asset_id": shot.asset_id, "org_name": shot.org_name, "width": shot.width, "height": shot.height,
            "quality_score": shot.quality_score, "uploaded_at": shot.uploaded_at, "bases": [], "current": False,
            "best": False})
        if shot.basis not in entry["bases"]:
            entry["bases"].append(shot.basis)
    best = min(group.values(), key=lambda e: (best_shot_key(e["width"], e["height"], e["quality_score"],
                                                            e["uploaded_at"]), str(e["asset_id"])))
    best["best"] = True
    return list(group.values())


def similar_counts(session: Session, asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many other photos are similar shots of each of ``asset_ids`` (one page of the queue), any basis; pairs
    since joined into one duplicate cluster are not counted (as ``similar_shots`` leaves them out)."""
    if not asset_ids:
        return {}
    mine, theirs = aliased(AssetScreening), aliased(AssetScreening)
    return {a: int(n) for a, n in session.execute(
        select(SimilarShot.asset_id, func.count(func.distinct(SimilarShot.other_id)))
        .outerjoin(mine, mine.asset_id == SimilarShot.asset_id)
        .outerjoin(theirs, theirs.asset_id == SimilarShot.other_id)
        .where(SimilarShot.asset_id.in_(asset_ids),
               mine.cluster_id.is_(None) | mine.cluster_id.is_distinct_from(theirs.cluster_id))
        .group_by(SimilarShot.asset_id)).all()}


#: Names of the evidence keys detectors put in a finding's ``detail`` (values are shown, keys never raw).
EVIDENCE_KEYS = {"t": "rv.at", "text": "rv.evidence", "frame": "rv.evidence"}


def findings_by_kind(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Findings grouped as risks, quality and facts (facts are never shown as risks), each with its evidence values."""
    grouped: dict[str, list[dict[str, Any]]] = {k.value: [] for k in FindingKind}
    for f in findings:
        kind = FINDINGS[f["label"]].kind.value if f.get("label") in FINDINGS else FindingKind.fact.value
        detail = f.get("detail")
        values = [v for _, v in flatten(detail)] if isinstance(detail, dict) else []
        when = detail.get("t") if isinstance(detail, dict) else None
        grouped[kind].append({"code": f.get("label", ""), "score": f.get("score"), "values": values,
                              "t": when if isinstance(when, int | float) else None})
    return grouped


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
        claim_error = i18n.detail_text(problem.detail, i18n.lang_of(request))
    return render(request, "review_asset.html", main_class="wide", claim_error=claim_error, error=None,
                  msg=request.query_params.get("msg"), **detail_context(session, principal, asset_id))


def detail_with_error(request: Request, session: Session, principal: Principal, asset_id: uuid.UUID,
                       problem: Problem) -> Response:
    session.rollback()
    return render(request, "review_asset.html", status_code=problem.status, main_class="wide", claim_error=None,
                  error=i18n.detail_text(problem.detail, i18n.lang_of(request)), msg=None,
                  problem_code=problem.code, **detail_context(session, principal, asset_id))


@router.get("/dashboard")
def dashboard_page(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    from service.campaigns.service import CAMPAIGN_COOKIE, chosen_campaign, recent_week_reports
    from service.review import dashboard

    raw = request.query_params.get("campaign_id")
    try:
        campaign_id = uuid.UUID(raw) if raw else None
    except ValueError:
        campaign_id = None
    if "campaign_id" not in request.query_params:  # no choice on the page: the header's current campaign
        chosen = chosen_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))
        campaign_id = chosen.id if chosen else None
    lang = i18n.lang_of(request)
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(20)).all()
    counts = dashboard.counts(session, campaign_id=campaign_id)
    # Chart series with names already in the page's language (the script only draws).
    charts = {
        "day": {"labels": [r["day"] for r in counts["day"]], "values": [r["count"] for r in counts["day"]]},
        "region": {"labels": [i18n.name("province", r["code"] or "", lang) for r in counts["region"]],
                   "values": [r["count"] for r in counts["region"]]},
        "review_status": {"labels": [i18n.name("review_status", r["status"], lang) for r in counts["review_status"]],
                          "values": [r["count"] for r in counts["review_status"]]},
        "pipeline_status": {"labels": [i18n.name("asset_status", r["status"], lang)
                                       for r in counts["pipeline_status"]],
                            "values": [r["count"] for r in counts["pipeline_status"]]},
        "kind": {"labels": [i18n.name("kind", r["kind"] or "image", lang) for r in counts["kind"]],
                 "values": [r["count"] for r in counts["kind"]]},
        "category": {"labels": [i18n.name("category", r["category"], lang) for r in counts["category"]],
                     "values": [r["count"] for r in counts["category"]]},
    }
    return render(request, "dashboard.html", counts=counts, charts=charts,
                  backlog=dashboard.backlog(), slowest=dashboard.slowest_steps(session), campaigns=campaigns,
                  silent=dashboard.silent_organisations(session, campaign_id=campaign_id),
                  campaign_id=campaign_id, export_query=f"?campaign_id={campaign_id}" if campaign_id else "",
                  week_reports=recent_week_reports(session, campaign_id), msg=request.query_params.get("msg"))
