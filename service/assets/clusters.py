"""/api/v1/clusters (duplicate clusters, editors) and /api/v1/assets/{id}/tags (editors add and remove tags)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from service.assets import screening
from service.assets.screening_schemas import ClusterOut, TagIn, TagList
from service.assets.service import get_asset
from service.core.deps import SessionDep, StaffDep

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.get("/clusters/{cluster_id}", response_model=ClusterOut)
def get_cluster(cluster_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ClusterOut:
    """A duplicate cluster's members across organisations (editors and admins only) and the suggested best."""
    return screening.get_cluster(session, cluster_id)


@router.post("/assets/{asset_id}/tags", response_model=TagList, status_code=201)
def add_tag(asset_id: uuid.UUID, body: TagIn, principal: StaffDep, session: SessionDep) -> TagList:
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    return TagList(tags=screening.add_editor_tag(session, asset=asset, name=body.name))


@router.delete("/assets/{asset_id}/tags", response_model=TagList)
def remove_tag(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep,
               name: Annotated[str, Query(min_length=1, max_length=80)]) -> TagList:
    asset = get_asset(session, principal=principal, asset_id=asset_id)
    return TagList(tags=screening.remove_tag(session, asset=asset, name=name))
