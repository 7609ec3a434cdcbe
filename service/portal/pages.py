"""The outlets' portal pages (zh-CN first): collections, search, asset pages, downloads and package progress.

Pages call the same services as /api/v1/portal, so the one visibility rule applies unchanged.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from service.core.bounds import BoundedDate
from service.core.clientaddr import client_address
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.db.asset import AssetKind
from service.db.org import Role
from service.portal import catalog, downloads, messages, packages
from service.portal.schemas import PackageIn
from service.web import i18n
from service.web.deps import require_page_roles
from service.web.templating import render

router = APIRouter(include_in_schema=False)
OutletPage = Annotated[Principal, require_page_roles(Role.outlet, Role.admin)]
assert messages  # the page strings and nav entries register on import


def problem_page(request: Request, problem: Problem) -> Response:
    return render(request, "error.html", status_code=problem.status,
                  message=i18n.detail_text(problem.detail, i18n.lang_of(request)))


@router.get("/portal")
def portal_home(
    request: Request,
    principal: OutletPage,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: str = "",
    region: Annotated[str, Query(pattern=r"^[0-9]{0,6}$")] = "",
    tag: Annotated[str | None, Query(max_length=40)] = None,
    date_from: BoundedDate | None = None,
    date_to: BoundedDate | None = None,
) -> Response:
    searching = bool(q or kind or region or tag or date_from or date_to)
    results = None
    if searching:
        filters = catalog.SearchFilters(q=(q or "").strip() or None, tag=tag or None, region=region or None,
                                        date_from=date_from, date_to=date_to,
                                        kind=AssetKind(kind) if kind in ("image", "video") else None)
        results, _ = catalog.search_assets(session, principal=principal, filters=filters, limit=100, offset=0)
    return render(request, "portal/home.html", collections=catalog.list_collections(session, principal=principal),
                  results=results, q=q or "", kind=kind, region=region, tag=tag or "", date_from=date_from,
                  date_to=date_to)


@router.get("/portal/collections/{collection_id}")
def collection_page(collection_id: uuid.UUID, request: Request, principal: OutletPage,
                    session: SessionDep) -> Response:
    try:
        detail = catalog.get_collection(session, principal=principal, collection_id=collection_id)
    except Problem as problem:
        return problem_page(request, problem)
    return render(request, "portal/collection.html", collection=detail)


@router.get("/portal/assets/{asset_id}")
def asset_page(asset_id: uuid.UUID, request: Request, principal: OutletPage, session: SessionDep) -> Response:
    try:
        asset = downloads.portal_asset(session, principal=principal, asset_id=asset_id)
    except Problem as problem:
        return problem_page(request, problem)
    return render(request, "portal/asset.html", asset=asset)


@router.get("/portal/assets/{asset_id}/download/{rendition}")
def download_page(asset_id: uuid.UUID, rendition: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$")],
                  request: Request, principal: OutletPage, session: SessionDep) -> Response:
    """The browser's download: straight to the file, or a self-refreshing wait while the caption is written in."""
    try:
        response = downloads.download(session, principal=principal, asset_id=asset_id, rendition=rendition,
                                      ip=client_address(request), stream=False)
    except Problem as problem:
        return problem_page(request, problem)
    if response.status_code == 202:
        return render(request, "portal/preparing.html", status_code=202, refresh=2)
    return response


@router.post("/portal/packages")
def package_form(
    request: Request,
    principal: OutletPage,
    session: SessionDep,
    asset_id: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    collection_id: Annotated[uuid.UUID | None, Form()] = None,
    rendition: Annotated[str, Form(pattern=r"^[a-z0-9_]{1,40}$")] = "original",
    scope: Annotated[str, Form()] = "selection",
) -> Response:
    whole = scope == "collection"
    data = PackageIn(asset_ids=[] if whole else asset_id, collection_id=collection_id if whole else None,
                     rendition=rendition) if (asset_id or whole) else None
    if data is None:
        return problem_page(request, Problem(422, "empty_package", "请先勾选素材", "select some assets first"))
    try:
        package = packages.request_package(session, principal=principal, data=data)
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/portal/packages/{package.id}", status_code=303)


@router.get("/portal/packages/{package_id}")
def package_page(package_id: uuid.UUID, request: Request, principal: OutletPage, session: SessionDep) -> Response:
    try:
        package = packages.to_out(packages.get_package(session, principal=principal, package_id=package_id))
    except Problem as problem:
        return problem_page(request, problem)
    building = package.status in ("queued", "building")
    return render(request, "portal/package.html", package=package, refresh=2 if building else None)
