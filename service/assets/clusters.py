"""/api/v1/clusters (duplicate clusters, editors). Editors' tags: ``service.assets.endpoints``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from service.assets import screening
from service.assets.screening_schemas import ClusterOut
from service.core.deps import SessionDep, StaffDep

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.get("/clusters/{cluster_id}", response_model=ClusterOut)
def get_cluster(cluster_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ClusterOut:
    """A duplicate cluster's members across organisations (editors and admins only) and the suggested best."""
    return screening.get_cluster(session, cluster_id)
