"""/api/v1/assets: status, metadata, renditions and the original of each asset; editors' tags."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from service.assets import renditions, screening, service
from service.assets.schemas import AssetOut, AssetPage, RenditionOut, RetryOut
from service.assets.screening_schemas import TagIn, TagList
from service.core.config import get_settings
from service.core.deps import PrincipalDep, SessionDep, StaffDep
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.core.storage import get_storage
from service.db.asset import Asset, AssetKind, AssetStatus
from service.db.review import Review
from service.review import claims
from service.review import service as review_service

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
    return AssetPage(items=[service.to_out(a, exact_of=screening.visible_exact_of(session, principal, a))
                            for a in items], total=total)


@router.get("/assets/{asset_id}", response_model=AssetOut)
def get_asset(asset_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> AssetOut:
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    out = service.to_out(asset, service.jobs_of(session, asset.id),
                         exact_of=screening.visible_exact_of(session, principal, asset))
    return out.model_copy(update=screening.screening_fields(session, asset, principal))


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


@router.get("/assets/{asset_id}/renditions", response_model=list[RenditionOut])
def list_renditions(asset_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> list[RenditionOut]:
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    return [service.rendition_out(r) for r in asset.renditions]


@router.get("/assets/{asset_id}/renditions/{name}", status_code=307, response_class=Response)
def get_rendition(asset_id: uuid.UUID, name: str, principal: PrincipalDep, session: SessionDep,
                  stream: bool = False) -> Response:
    """307 to a presigned URL that expires after ``presign_ttl_seconds``; streamed through the API with
    ``?stream=1`` or when ``MEDIADESK_STREAM_RENDITIONS`` is set (clients that cannot reach S3). HLS is always
    streamed: its playlists name segments by relative path, which a presigned URL cannot cover."""
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    rendition = renditions.find(asset, name)
    settings = get_settings()
    if stream or settings.stream_renditions or name == "hls":
        headers = {"Cache-Control": "private, max-age=300"}
        if name != "hls":  # the hls row's size is the whole folder's, not the master playlist's
            headers["Content-Length"] = str(rendition.size)
        return StreamingResponse(renditions.stream(rendition.key), media_type=rendition.mime, headers=headers)
    filename = f"{asset.original_filename.rsplit('.', 1)[0]}-{name}.{rendition.key.rsplit('.', 1)[-1]}"
    url = get_storage().presigned_get(rendition.key, ttl_seconds=settings.presign_ttl_seconds, filename=filename,
                                      content_type=rendition.mime)
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})


@router.get("/assets/{asset_id}/hls/{filename}", response_class=StreamingResponse)
def get_hls_file(asset_id: uuid.UUID, filename: str, principal: PrincipalDep, session: SessionDep
                 ) -> StreamingResponse:
    """A variant playlist or segment of the HLS preview (the master playlist names them relatively)."""
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    key = renditions.hls_object_key(asset, filename)
    mime = "application/vnd.apple.mpegurl" if filename.endswith(".m3u8") else "video/mp2t"
    return StreamingResponse(renditions.stream(key), media_type=mime, headers={"Cache-Control": "private, max-age=300"})


@router.post("/assets/{asset_id}/retry", response_model=RetryOut, status_code=202)
def retry_asset(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> RetryOut:
    """Re-run a failed asset from its first unfinished step (editors and admins)."""
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    step = service.retry_asset(session, asset)
    return RetryOut(id=asset.id, status=asset.status.value, step=step)


@router.post("/assets/{asset_id}/tags", response_model=TagList, status_code=201)
def add_tag(asset_id: uuid.UUID, body: TagIn, principal: StaffDep, session: SessionDep) -> TagList:
    """Add an editor tag through the review service (claim, version and audit as on the review page)."""
    asset = _in_review(session, principal, asset_id)
    review_service.edit(session, principal=principal, asset_id=asset.id, version=body.version,
                        add_tags=[_tag_name(body.name)])
    return TagList(tags=screening.tags_of(session, asset.id))


@router.delete("/assets/{asset_id}/tags", response_model=TagList)
def remove_tag(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep,
               name: Annotated[str, Query(min_length=1, max_length=80)], version: int | None = None) -> TagList:
    """Remove a tag whatever its source, through the review service; 404 when the asset has no such tag."""
    asset = _in_review(session, principal, asset_id)
    name = _tag_name(name)
    if name not in {t.name for t in screening.tags_of(session, asset.id)} | set(
            claims.load_review(session, asset.id).tag_names or []):
        raise not_found("tag")
    review_service.edit(session, principal=principal, asset_id=asset.id, version=version, remove_tags=[name])
    return TagList(tags=screening.tags_of(session, asset.id))


def _in_review(session: Session, principal: Principal, asset_id: uuid.UUID) -> Asset:
    asset = service.get_asset(session, principal=principal, asset_id=asset_id)
    if session.get(Review, asset.id) is None and asset.status != AssetStatus.ready:
        raise Problem(409, "not_in_review", "素材尚未处理完成、进入审核，暂不能编辑标签",
                      "the asset is still being processed; tags can be edited once it is in review")
    return asset


def _tag_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise Problem(422, "tag_empty", "标签不能为空", "the tag name is empty")
    return name
