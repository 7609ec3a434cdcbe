"""Reading assets with organisation scope, and their originals through short-lived URLs."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from service.assets.schemas import AssetOut, Reason, RenditionOut
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.asset import Asset, AssetStatus, Job
from service.db.org import Role


def visible_assets(principal: Principal) -> Select[tuple[Asset]]:
    """Assets the caller may see through the working API (outlets use the portal instead)."""
    query = select(Asset)
    if principal.role == Role.outlet:
        return query.where(False)  # noqa: FBT003 - outlets see released material only, via the portal
    if not principal.is_staff:
        query = query.where(Asset.org_id == principal.org_id)
    return query


def get_asset(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Asset:
    asset = session.scalar(
        visible_assets(principal).where(Asset.id == asset_id).options(selectinload(Asset.renditions))
    )
    if asset is None:
        raise not_found("asset")
    return asset


def list_assets(
    session: Session,
    *,
    principal: Principal,
    filters: dict[str, Any],
    limit: int,
    offset: int,
) -> tuple[list[Asset], int]:
    query = visible_assets(principal)
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


def to_out(asset: Asset, jobs: list[Job] | None = None) -> AssetOut:
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
        exact_of=asset.exact_of,
        width=asset.width,
        height=asset.height,
        duration=asset.duration,
        capture_time=asset.capture_time,
        probe=asset.probe or {},
        renditions=[
            RenditionOut(name=r.name, mime=r.mime, width=r.width, height=r.height, size=r.size)
            for r in asset.renditions
        ],
        jobs=[
            {"step": j.step, "status": j.status.value, "attempts": j.attempts, "error": j.error,
             "started_at": j.started_at, "finished_at": j.finished_at}
            for j in (jobs or [])
        ],
        created_at=asset.created_at,
        updated_at=asset.updated_at,
    )


def jobs_of(session: Session, asset_id: uuid.UUID) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.asset_id == asset_id).order_by(Job.created_at)).all())


def require_original_available(asset: Asset) -> None:
    if asset.status in (AssetStatus.uploading,) or (
        asset.status == AssetStatus.rejected_invalid and asset.reason_code == "checksum_mismatch"
    ):
        raise Problem(409, "original_not_available", "原始文件尚未就绪或已被拒收",
                      "the original is not available for this asset")
