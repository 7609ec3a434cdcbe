"""/api/v1/clusters (duplicate clusters, editors) and /api/v1/assets/{id}/similar (similar shots: photos of one moment
that are not copies, a weaker grouping kept apart from duplicate clusters).

Editors' tags: ``service.assets.endpoints``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assets import screening
from service.assets.screening_schemas import ClusterOut
from service.assets.service import get_asset
from service.core.deps import SessionDep, StaffDep
from service.db.asset import Asset
from service.db.screening import AssetScreening, SimilarShot

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.get("/clusters/{cluster_id}", response_model=ClusterOut)
def get_cluster(cluster_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ClusterOut:
    """A duplicate cluster's members across organisations (editors and admins only) and the suggested best."""
    return screening.get_cluster(session, cluster_id)


class SimilarShotOut(BaseModel):
    asset_id: uuid.UUID
    org_id: uuid.UUID
    submission_id: uuid.UUID
    width: int | None
    height: int | None
    quality_score: int | None
    distance: int
    cluster_id: uuid.UUID | None


class SimilarShots(BaseModel):
    asset_id: uuid.UUID
    similar: list[SimilarShotOut]


def similar_shots(session: Session, asset_id: uuid.UUID) -> list[SimilarShotOut]:
    """The photos recorded as similar shots of ``asset_id``, nearest first."""
    rows = session.execute(
        select(Asset, SimilarShot.distance, AssetScreening.quality_score, AssetScreening.cluster_id)
        .join(SimilarShot, SimilarShot.other_id == Asset.id)
        .outerjoin(AssetScreening, AssetScreening.asset_id == Asset.id)
        .where(SimilarShot.asset_id == asset_id).order_by(SimilarShot.distance, Asset.id)
    ).all()
    return [SimilarShotOut(asset_id=a.id, org_id=a.org_id, submission_id=a.submission_id, width=a.width,
                           height=a.height, quality_score=quality, distance=distance, cluster_id=cluster)
            for a, distance, quality, cluster in rows]


@router.get("/assets/{asset_id}/similar", response_model=SimilarShots)
def get_similar(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> SimilarShots:
    """Similar shots of an asset across organisations (editors and admins only): bursts and other exposures of the
    same moment, so that an editor can pick one; never merged into its duplicate cluster."""
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    return SimilarShots(asset_id=asset.id, similar=similar_shots(session, asset.id))

