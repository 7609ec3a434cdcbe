"""/api/v1/clusters (duplicate clusters, editors) and /api/v1/assets/{id}/similar (similar shots: photos of one moment
that are not copies, a weaker grouping kept apart from duplicate clusters).

Editors' tags: ``service.assets.endpoints``."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assets import screening
from service.assets.screening_schemas import ClusterOut
from service.assets.service import get_asset
from service.core.deps import SessionDep, StaffDep
from service.db.asset import Asset
from service.db.org import Organization
from service.db.screening import AssetScreening, SimilarShot

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.get("/clusters/{cluster_id}", response_model=ClusterOut)
def get_cluster(cluster_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ClusterOut:
    """A duplicate cluster's members across organisations (editors and admins only) and the suggested best."""
    return screening.get_cluster(session, cluster_id)


class SimilarShotOut(BaseModel):
    asset_id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    submission_id: uuid.UUID
    width: int | None
    height: int | None
    quality_score: int | None
    uploaded_at: datetime
    basis: str = Field(description="hash: perceptual hashes (a burst, one scene); visual: image embeddings alike")
    distance: int | None = Field(description="PDQ Hamming distance (basis hash)")
    similarity: float | None = Field(description="cosine similarity of the image embeddings (basis visual)")
    cluster_id: uuid.UUID | None


class SimilarShots(BaseModel):
    asset_id: uuid.UUID
    similar: list[SimilarShotOut]


def similar_shots(session: Session, asset_id: uuid.UUID) -> list[SimilarShotOut]:
    """The photos recorded as similar shots of ``asset_id``, hash basis first (nearest first), then visual (most alike
    first); a pair that has since joined one duplicate cluster is a duplicate, not a similar shot, and is left out."""
    own_cluster = session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == asset_id))
    query = (
        select(Asset, Organization.name, SimilarShot, AssetScreening.quality_score, AssetScreening.cluster_id)
        .join(SimilarShot, SimilarShot.other_id == Asset.id)
        .join(Organization, Organization.id == Asset.org_id)
        .outerjoin(AssetScreening, AssetScreening.asset_id == Asset.id)
        .where(SimilarShot.asset_id == asset_id)
        .order_by(SimilarShot.basis, SimilarShot.distance, SimilarShot.similarity.desc(), Asset.id)
    )
    if own_cluster is not None:
        query = query.where(AssetScreening.cluster_id.is_distinct_from(own_cluster))
    return [SimilarShotOut(asset_id=a.id, org_id=a.org_id, org_name=org_name, submission_id=a.submission_id,
                           width=a.width, height=a.height, quality_score=quality, uploaded_at=a.created_at,
                           basis=pair.basis, distance=pair.distance, similarity=pair.similarity, cluster_id=cluster)
            for a, org_name, pair, quality, cluster in session.execute(query).all()]


def best_shot_key(width: int | None, height: int | None, quality: float | None,
                  uploaded_at: datetime) -> tuple[int, float, datetime]:
    """Sort key of the suggested best of a group (smallest first): highest resolution, then quality score, then the
    earliest upload, the rule ``workers.duplicates.refresh_cluster`` applies to duplicate clusters."""
    return (-(width or 0) * (height or 0), -(quality or 0), uploaded_at)


@router.get("/assets/{asset_id}/similar", response_model=SimilarShots)
def get_similar(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> SimilarShots:
    """Similar shots of an asset across organisations (editors and admins only): bursts and other exposures of the
    same moment, so that an editor can pick one; never merged into its duplicate cluster."""
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    return SimilarShots(asset_id=asset.id, similar=similar_shots(session, asset.id))

