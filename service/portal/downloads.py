"""Single-file downloads: visibility, rate limit, audit row, then a short-lived presigned URL or a stream."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from service.assets.on_demand import OnDemand, is_on_demand, request_rendition
from service.core.config import get_settings
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.core.storage import content_disposition, get_storage
from service.core.tasks import enqueue
from service.db.asset import Asset
from service.db.credits import cache_name, credits_for, delivery_filename
from service.db.org import Organization
from service.db.portal import Collection, CollectionItem, DeliveryFile, Download
from service.db.submission import Submission
from service.portal import catalog, limits, visibility
from service.portal.schemas import PortalAsset, PortalRendition


def source_of(asset: Asset, rendition: str) -> tuple[str, str, int]:
    """(key, mime, size) of the untagged bytes behind ``rendition``."""
    if rendition == "original":
        return asset.original_key, asset.mime or "application/octet-stream", asset.size
    found = catalog.rendition_of(asset, rendition)
    if found is None or found.name.startswith(catalog.INTERNAL_RENDITION_PREFIXES):
        raise Problem(404, "rendition_not_found", "该素材没有此规格", f"this asset has no rendition {rendition!r}")
    return found.key, found.mime, found.size


def keeps_location(session: Session, principal: Principal, asset_id: uuid.UUID) -> bool:
    """The caller sees the asset in a release whose editor chose to show where it was taken (docs/PRIVACY.md)."""
    return bool(session.scalar(select(exists().where(
        CollectionItem.asset_id == asset_id, CollectionItem.collection_id == Collection.id,
        Collection.keep_location.is_(True), visibility.collection_visible(principal)))))


#: The pseudo-rendition of an untouched original (PNG/HEIC/TIFF/AVIF/WebP as stored, EXIF and all), offered only
#: through a release whose editor enabled ``deliver_untouched`` (docs/PRIVACY.md).
UNTOUCHED = "untouched"


def untouched_allowed(session: Session, principal: Principal, asset: Asset) -> bool:
    """A non-JPEG still image, seen by the caller through a release that delivers untouched originals."""
    if not (asset.mime or "").startswith("image/") or asset.mime == "image/jpeg":
        return False
    return bool(session.scalar(select(exists().where(
        CollectionItem.asset_id == asset.id, CollectionItem.collection_id == Collection.id,
        Collection.deliver_untouched.is_(True), visibility.collection_visible(principal)))))


def portal_asset(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> PortalAsset:
    """The outlet's view of one asset, listing the untouched original where its release offers it."""
    asset, submission, org = catalog.get_asset(session, principal=principal, asset_id=asset_id)
    out = catalog.to_portal_asset(asset, submission, org)
    if untouched_allowed(session, principal, asset):
        out.renditions.append(PortalRendition(
            name=UNTOUCHED, mime=asset.mime or "application/octet-stream", width=asset.width, height=asset.height,
            size=asset.size, download_url=f"/api/v1/portal/assets/{asset.id}/renditions/{UNTOUCHED}"))
    return out


def download_untouched(session: Session, *, principal: Principal, asset: Asset, submission: Submission,
                       org: Organization, ip: str, stream: bool) -> Response:
    """The stored original itself, on the editor's explicit choice for the release; audited like any download."""
    if not untouched_allowed(session, principal, asset):
        raise Problem(404, "rendition_not_found", "该素材不提供未处理原图（须编辑在发布中开启）",
                      "the untouched original is not offered for this file (an editor enables it per release)")
    settings = get_settings()
    limits.hit("download", str(principal.user_id), limit=settings.portal_downloads_per_minute, window_seconds=60)
    record(session, principal=principal, asset_id=asset.id, rendition=UNTOUCHED, ip=ip, size=asset.size)
    credits = credits_for(asset, submission, org, copyright_notice=settings.portal_copyright)
    mime = asset.mime or "application/octet-stream"
    return hand_over(asset.original_key, filename=delivery_filename(asset.id, credits, UNTOUCHED, mime), mime=mime,
                     size=asset.size, stream=stream, ttl_seconds=settings.presign_ttl_seconds)


def current_delivery(session: Session, asset: Asset, submission: Submission, org: Organization,
                     rendition: str) -> DeliveryFile | None:
    """The cached tagged copy, if it carries the asset's current caption and credit."""
    digest = credits_for(asset, submission, org, copyright_notice=get_settings().portal_copyright).digest()
    found = session.scalar(select(DeliveryFile).where(DeliveryFile.asset_id == asset.id,
                                                      DeliveryFile.rendition == rendition))
    return found if found is not None and found.meta_digest == digest else None


def record(session: Session, *, principal: Principal, asset_id: uuid.UUID | None, rendition: str, ip: str,
           size: int, package_id: uuid.UUID | None = None) -> None:
    session.add(Download(at=datetime.now(UTC), user_id=principal.user_id, org_id=principal.org_id, asset_id=asset_id,
                         rendition=rendition, package_id=package_id, ip=ip[:64], bytes=size))
    session.flush()


def hand_over(key: str, *, filename: str, mime: str, size: int, stream: bool, ttl_seconds: int) -> Response:
    """Redirect to a presigned URL, or stream through the API for clients that cannot reach S3."""
    storage = get_storage()
    headers = {"Cache-Control": "no-store"}
    if stream:
        headers |= {"Content-Disposition": content_disposition(filename), "Content-Length": str(size)}
        return StreamingResponse(storage.iter_object(key), media_type=mime, headers=headers)
    url = storage.presigned_get(key, ttl_seconds=ttl_seconds, filename=filename, content_type=mime)
    return RedirectResponse(url, status_code=307, headers=headers)


def download(session: Session, *, principal: Principal, asset_id: uuid.UUID, rendition: str, ip: str,
             stream: bool) -> Response:
    asset, submission, org = catalog.get_asset(session, principal=principal, asset_id=asset_id)
    if rendition == UNTOUCHED:
        return download_untouched(session, principal=principal, asset=asset, submission=submission, org=org, ip=ip,
                                  stream=stream)
    if (is_on_demand(asset, rendition) and catalog.rendition_of(asset, rendition) is None
            and request_rendition(session, asset, rendition) == OnDemand.pending):
        return JSONResponse({"status": "rendering", "detail": "正在制作该规格，请稍后重试 / this rendition is being "
                             "made on request; retry shortly", "retry_after": 30}, status_code=202,
                            headers={"Retry-After": "30", "Cache-Control": "no-store"})
    source_of(asset, rendition)  # 404 for a rendition the asset does not have
    keep_location = keeps_location(session, principal, asset.id)
    delivered = current_delivery(session, asset, submission, org, cache_name(rendition, keep_location))
    if delivered is None:
        # The tagged copy is made by a worker (portal.deliver); it is usually ready before anyone asks.
        enqueue(session, "portal.deliver", str(asset.id), rendition, keep_location, queue="default")
        return JSONResponse({"status": "preparing", "detail": "正在写入图片说明，请稍后重试 / writing the caption into "
                             "the file; retry shortly", "retry_after": 2}, status_code=202,
                            headers={"Retry-After": "2", "Cache-Control": "no-store"})
    settings = get_settings()
    limits.hit("download", str(principal.user_id), limit=settings.portal_downloads_per_minute, window_seconds=60)
    record(session, principal=principal, asset_id=asset.id, rendition=rendition, ip=ip, size=delivered.size)
    credits = credits_for(asset, submission, org, copyright_notice=settings.portal_copyright)
    return hand_over(delivered.key, filename=delivery_filename(asset.id, credits, rendition, delivered.mime),
                     mime=delivered.mime, size=delivered.size, stream=stream,
                     ttl_seconds=settings.presign_ttl_seconds)


def preview(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Response:
    """A small image for pages (not a download, not audited): thumb, else web, else a video's poster, else the image
    original."""
    asset, _, _ = catalog.get_asset(session, principal=principal, asset_id=asset_id)
    for name in ("thumb", "preview", "web", "poster"):
        found = catalog.rendition_of(asset, name)
        if found is not None and found.mime.startswith("image/"):
            key, mime = found.key, found.mime
            break
    else:
        if not (asset.mime or "").startswith("image/"):
            raise not_found("preview")
        key, mime = asset.original_key, asset.mime or "image/jpeg"
    url = get_storage().presigned_get(key, ttl_seconds=get_settings().presign_ttl_seconds, content_type=mime)
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, max-age=60"})


def play(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Response:
    """The video for the outlet's in-page player: a short-lived link to the 720p proxy (a preview, not audited as a
    download; the broadcast file and the original are downloads)."""
    asset, _, _ = catalog.get_asset(session, principal=principal, asset_id=asset_id)
    found = catalog.rendition_of(asset, catalog.PLAY_RENDITION)
    if found is None:
        raise not_found("video preview")
    ttl = get_settings().presign_ttl_seconds
    url = get_storage().presigned_get(found.key, ttl_seconds=ttl, content_type=found.mime)
    return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, max-age=60"})
