"""/api/v1/assets: status, metadata, renditions and the original of each asset."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from service.assets import screening, service
from service.assets.schemas import AssetOut, AssetPage
from service.core.config import get_settings
from service.core.deps import PrincipalDep, SessionDep
from service.core.storage import get_storage
from service.db.asset import AssetKind, AssetStatus

router = APIRouter(prefix="/api/v1", tags=["assets"])


@router.get("/assets", response_model=AssetPage)
def list_assets(
    principal: PrincipalDep,
    session: SessionDep,
    submission_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    status: Annotated[list[AssetStatus] | None, Query()] = None,
    kind: AssetKind | None = None,
    sha256: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AssetPage:
    filters = {"submission_id": submission_id, "campaign_id": campaign_id, "org_id": org_id, "status": status,
               "kind": kind, "sha256": sha256}
    items, total = service.list_assets(session, principal=principal, filters=filters, limit=limit, offset=offset)
    return AssetPage(items=[service.to_out(a) for a in items], total=total)


@router.get("/assets/{asset_id}", response_model=AssetOut)
def get_asset(asset_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> AssetOut:
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    out = service.to_out(asset, service.jobs_of(session, asset.id))
    return out.model_copy(update=screening.screening_fields(session, asset))


@router.get("/assets/{asset_id}/original", status_code=307, response_class=RedirectResponse)
def get_original(asset_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> RedirectResponse:
    """Redirect to a presigned URL of the original that expires after ``presign_ttl_seconds``."""
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    service.require_original_available(asset)
    url = get_storage().presigned_get(
        asset.original_key, ttl_seconds=get_settings().presign_ttl_seconds, filename=asset.original_filename,
        content_type=asset.mime,
    )
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
