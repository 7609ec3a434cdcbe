"""/api/v1/portal: what media outlets browse and download (outlet role; admins for support)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from service.core.bounds import BoundedDate
from service.core.clientaddr import client_address
from service.core.deps import OutletDep, SessionDep
from service.db.asset import AssetKind
from service.portal import catalog, downloads, packages
from service.portal.schemas import (
    PackageIn,
    PackageOut,
    PortalAsset,
    PortalAssetPage,
    PortalCollection,
    PortalCollectionDetail,
)

router = APIRouter(prefix="/api/v1/portal", tags=["portal"])


@router.get("/collections", response_model=list[PortalCollection])
def list_collections(principal: OutletDep, session: SessionDep) -> list[PortalCollection]:
    return catalog.list_collections(session, principal=principal)


@router.get("/collections/{collection_id}", response_model=PortalCollectionDetail)
def get_collection(collection_id: uuid.UUID, principal: OutletDep, session: SessionDep,
                   limit: Annotated[int, Query(ge=1, le=500)] = 200,
                   offset: Annotated[int, Query(ge=0, le=100_000)] = 0) -> PortalCollectionDetail:
    return catalog.get_collection(session, principal=principal, collection_id=collection_id, limit=limit,
                                  offset=offset)


@router.get("/assets", response_model=PortalAssetPage)
def search_assets(
    principal: OutletDep,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2,6}$")] = None,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
    kind: AssetKind | None = None,
    collection_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PortalAssetPage:
    filters = catalog.SearchFilters(q=(q or "").strip() or None, tag=tag, region=region, date_from=date_from,
                                    date_to=date_to, kind=kind, collection_id=collection_id)
    items, total = catalog.search_assets(session, principal=principal, filters=filters, limit=limit, offset=offset)
    return PortalAssetPage(items=items, total=total)


@router.get("/assets/{asset_id}", response_model=PortalAsset)
def get_asset(asset_id: uuid.UUID, principal: OutletDep, session: SessionDep) -> PortalAsset:
    return downloads.portal_asset(session, principal=principal, asset_id=asset_id)


@router.get("/assets/{asset_id}/preview", response_class=Response)
def preview(asset_id: uuid.UUID, principal: OutletDep, session: SessionDep) -> Response:
    return downloads.preview(session, principal=principal, asset_id=asset_id)


@router.get("/assets/{asset_id}/play", response_class=Response,
            responses={307: {"description": "redirect to a short-lived link to the 720p preview video"}})
def play(asset_id: uuid.UUID, principal: OutletDep, session: SessionDep) -> Response:
    """The video for an in-page player (the 720p proxy); 404 for photos and for videos still without one."""
    return downloads.play(session, principal=principal, asset_id=asset_id)


@router.get("/assets/{asset_id}/renditions/{rendition}", response_class=Response,
            responses={202: {"description": "the tagged copy is being prepared; retry after Retry-After"},
                       307: {"description": "redirect to a short-lived presigned URL"}})
def download(asset_id: uuid.UUID, rendition: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$")],
             principal: OutletDep, session: SessionDep, request: Request, stream: bool = False) -> Response:
    """Download one rendition with caption and credit written in; ``stream=true`` when S3 is out of reach."""
    return downloads.download(session, principal=principal, asset_id=asset_id, rendition=rendition,
                              ip=client_address(request), stream=stream)


@router.post("/packages", status_code=202, response_model=PackageOut)
def request_package(body: PackageIn, principal: OutletDep, session: SessionDep) -> PackageOut:
    return packages.to_out(packages.request_package(session, principal=principal, data=body))


@router.get("/packages/{package_id}", response_model=PackageOut)
def package_status(package_id: uuid.UUID, principal: OutletDep, session: SessionDep) -> PackageOut:
    return packages.to_out(packages.get_package(session, principal=principal, package_id=package_id))


@router.get("/packages/{package_id}/file", response_class=Response)
def package_file(package_id: uuid.UUID, session: SessionDep, request: Request,
                 uid: Annotated[str, Query(max_length=64)] = "", exp: int = 0,
                 sig: Annotated[str, Query(max_length=128)] = "", stream: bool = False) -> Response:
    """A signed, expiring package link; works without a session (newsroom download managers) but is re-checked."""
    return packages.download_package(session, package_id=package_id, uid=uid, exp=exp, sig=sig,
                                     ip=client_address(request), stream=stream)
