"""Reading assets with organisation scope, their originals through short-lived URLs, and re-running failed ones.

Kept free of ``workers``: the API sends pipeline steps by name (service.core.tasks) in PIPELINE_STEPS order.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, selectinload

from service.assets.schemas import AssetOut, Reason, RenditionOut
from service.core import orgscope
from service.core.errors import Problem, forbidden, not_found
from service.core.security import Principal
from service.core.tasks import PIPELINE_STEPS, queue_step
from service.db.asset import Asset, AssetStatus, Job, JobStatus, Rendition
from service.db.org import Role


def visible_assets(session: Session, principal: Principal) -> Select[Asset]:
    """Assets the caller may see through the working API (``service.core.orgscope``: a province sees its schools';
    outlets use the portal instead)."""
    query = select(Asset)
    if principal.role == Role.outlet:
        return query.where(false())  # outlets see released material only, via the portal
    if (scope := orgscope.scope_condition(session, principal, Asset.org_id)) is not None:
        query = query.where(scope)
    return query


def get_asset(session: Session, *, principal: Principal, asset_id: uuid.UUID, edit: bool = False) -> Asset:
    """An asset the caller may see (404 otherwise); ``edit=True``: one its organisation owns (403 for a parent)."""
    asset = session.scalar(
        visible_assets(session, principal).where(Asset.id == asset_id).options(selectinload(Asset.renditions))
    )
    if asset is None:
        raise not_found("asset")
    if edit and not orgscope.can_edit_org(principal, asset.org_id):
        raise forbidden("上级单位只能查看下属单位的文件，修改须由报送单位进行",
                        "a parent organisation may read this file; only its own organisation changes it")
    return asset


def list_assets(
    session: Session,
    *,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> tuple[list[Asset], int]:
    query = visible_assets(session, principal)
    for column in ("submission_id", "campaign_id", "org_id", "sha256"):
        if filters.get(column) is not None:
            query = query.where(getattr(Asset, column) == filters[column])
    if filters.get("status"):
        query = query.where(Asset.status.in_(filters["status"]))
    if filters.get("kind"):
        query = query.where(Asset.kind == filters["kind"])
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(Asset.renditions)).order_by(Asset.created_at.desc(), Asset.id).limit(limit)
        .offset(offset)
    ).all()
    return list(items), total


def to_out(asset: Asset, jobs: list[Job] | None = None, *, exact_of: uuid.UUID | None = None) -> AssetOut:
    """``exact_of`` as the caller may see it (``screening.visible_exact_of``): never another organisation's id."""
    reason = Reason(code=asset.reason_code, detail=asset.reason_detail or "") if asset.reason_code else None
    return AssetOut(
        id=asset.id,
        submission_id=asset.submission_id,
        org_id=asset.org_id,
        campaign_id=asset.campaign_id,
        kind=asset.kind.value if asset.kind else None,
        status=asset.status.value,
        reason=reason,
        original_filename=asset.original_filename,
        size=asset.size,
        mime=asset.mime,
        sha256=asset.sha256,
        exact_of=exact_of,
        width=asset.width,
        height=asset.height,
        duration=asset.duration,
        capture_time=asset.capture_time,
        probe=asset.probe or {},
        renditions=[rendition_out(r) for r in asset.renditions],
        jobs=[
            {"step": j.step, "status": j.status.value, "attempts": j.attempts, "error": j.error,
             "started_at": j.started_at, "finished_at": j.finished_at}
            for j in (jobs or [])
        ],
        created_at=asset.created_at,
        updated_at=asset.updated_at,
    )


def rendition_out(rendition: Rendition) -> RenditionOut:
    return RenditionOut(name=rendition.name, mime=rendition.mime, width=rendition.width, height=rendition.height,
                        size=rendition.size)


def jobs_of(session: Session, asset_id: uuid.UUID) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.asset_id == asset_id).order_by(Job.created_at)).all())


def require_original_available(asset: Asset) -> None:
    if asset.status in (AssetStatus.uploading,) or (
        asset.status == AssetStatus.rejected_invalid and asset.reason_code == "checksum_mismatch"
    ):
        raise Problem(409, "original_not_available", "原始文件尚未就绪或已被拒收",
                      "the original is not available for this asset")


RETRYABLE = frozenset({AssetStatus.failed})


def retry_asset(session: Session, asset: Asset) -> str:
    """Queue a failed asset's first unfinished step again (editor/admin action); returns that step."""
    if asset.status not in RETRYABLE:
        raise Problem(409, "not_retryable", "只有处理失败的素材可以重新处理",
                      f"only failed assets can be re-run (this one is {asset.status.value})")
    jobs = {job.step: job for job in session.scalars(select(Job).where(Job.asset_id == asset.id))}
    # Steps with a row ran (or were queued) for this asset; steps without one may not exist in this deployment.
    known = [step for step in PIPELINE_STEPS if step in jobs]
    step = next((s for s in known if jobs[s].status != JobStatus.done), None)
    if step is None:
        done = [s for s in known if jobs[s].status == JobStatus.done]
        following = PIPELINE_STEPS.index(done[-1]) + 1 if done else 0
        step = PIPELINE_STEPS[min(following, len(PIPELINE_STEPS) - 1)]
    asset.status = AssetStatus.processing
    asset.reason_code = asset.reason_detail = None
    queue_step(session, asset.id, step)
    return step
