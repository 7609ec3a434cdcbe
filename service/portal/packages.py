"""ZIP packages of a selection or a whole collection: checked and sized here, built by ``portal.build_package``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.core.config import get_settings
from service.core.errors import Problem, not_found
from service.core.security import Principal, principal_for
from service.core.tasks import enqueue
from service.db.asset import Asset
from service.db.org import Role, User
from service.db.portal import Collection, CollectionItem, Package, PackageStatus
from service.portal import catalog, limits, links, visibility
from service.portal.downloads import hand_over, record, source_of
from service.portal.schemas import PackageIn, PackageOut

#: ZIP headers, data descriptors and the captions sidecar per member, generously rounded up.
PER_ITEM_OVERHEAD = 4096
#: A package link is good for this long (and never past the package's expiry); every use is re-checked anyway.
LINK_TTL = timedelta(hours=1)
#: The presigned S3 URL a package link redirects to lives only long enough to start the transfer.
HANDOVER_TTL_SECONDS = 60


def _selected_assets(session: Session, principal: Principal, data: PackageIn) -> list[Asset]:
    ids: list[uuid.UUID] = list(dict.fromkeys(data.asset_ids))
    if data.collection_id is not None:
        collection = session.scalar(visibility.visible_collections(principal)
                                    .where(Collection.id == data.collection_id))
        if collection is None:
            raise not_found("collection")
        members = session.scalars(select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection.id)
                                  .order_by(CollectionItem.position))
        ids += [i for i in members if i not in ids]
    visible = set(session.scalars(visibility.visible_asset_ids(principal, ids)))
    if data.collection_id is None and (missing := [str(i) for i in ids if i not in visible]):
        raise Problem(404, "not_found", "部分素材不存在或无权下载", "some assets are not available to you",
                      extra={"asset_ids": missing})
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(visible))
                                                .options(selectinload(Asset.renditions)))}
    return [assets[i] for i in ids if i in assets]


def request_package(session: Session, *, principal: Principal, data: PackageIn) -> Package:
    """Validate and size the package before anything is built: over the limit is a clear 413, not a failed job."""
    settings = get_settings()
    assets = _selected_assets(session, principal, data)
    if not assets:
        raise Problem(422, "empty_package", "没有可打包的素材", "nothing to package")
    items: list[dict[str, str]] = []
    total = 0
    for asset in assets:
        # Photos have no broadcast rendition (and some videos no web one): fall back to the original.
        names = {n for n, *_ in catalog.downloadable(asset)}
        rendition = data.rendition if data.rendition in names else "original"
        total += source_of(asset, rendition)[2] + PER_ITEM_OVERHEAD
        items.append({"asset_id": str(asset.id), "rendition": rendition})
    if len(items) > settings.portal_package_max_items or total > settings.portal_package_max_bytes:
        limit_gb = settings.portal_package_max_bytes / 1024**3
        raise Problem(413, "package_too_large",
                      f"打包内容过大（{total / 1024**3:.2f} GB，上限 {limit_gb:.2f} GB、"
                      f"{settings.portal_package_max_items} 个文件），请减少所选素材或分批下载",
                      f"package too large ({total} bytes, limit {settings.portal_package_max_bytes} bytes / "
                      f"{settings.portal_package_max_items} files); select fewer assets",
                      extra={"total_bytes": total, "limit_bytes": settings.portal_package_max_bytes,
                             "items": len(items), "limit_items": settings.portal_package_max_items})
    limits.hit("package", str(principal.user_id), limit=settings.portal_packages_per_hour, window_seconds=3600)
    package = Package(user_id=principal.user_id, org_id=principal.org_id, collection_id=data.collection_id,
                      rendition=data.rendition, items=items, status=PackageStatus.queued, total_items=len(items),
                      total_bytes=total,
                      expires_at=datetime.now(UTC) + timedelta(hours=settings.portal_package_ttl_hours))
    session.add(package)
    session.flush()
    enqueue(session, "portal.build_package", str(package.id), queue="default")
    return package


def get_package(session: Session, *, principal: Principal, package_id: uuid.UUID) -> Package:
    package = session.get(Package, package_id)
    if package is None or (principal.role != Role.admin and package.user_id != principal.user_id):
        raise not_found("package")
    return package


def file_path(package_id: uuid.UUID) -> str:
    return f"/api/v1/portal/packages/{package_id}/file"


def to_out(package: Package) -> PackageOut:
    now = datetime.now(UTC)
    url = link_expires = None
    if package.status == PackageStatus.ready and package.expires_at > now:
        link_expires = min(package.expires_at, now + LINK_TTL)
        url = links.sign(file_path(package.id), user_id=package.user_id, expires_at=link_expires)
    progress = package.done_bytes / package.total_bytes if package.total_bytes else 0.0
    if package.status == PackageStatus.ready:
        progress = 1.0
    return PackageOut(id=package.id, status=package.status.value, rendition=package.rendition,
                      total_items=package.total_items, done_items=package.done_items,
                      total_bytes=package.total_bytes, done_bytes=package.done_bytes,
                      progress=round(min(progress, 1.0), 4), size=package.size, error=package.error,
                      expires_at=package.expires_at, download_url=url, link_expires_at=link_expires)


def download_package(session: Session, *, package_id: uuid.UUID, uid: str, exp: int, sig: str, ip: str,
                     stream: bool) -> Response:
    """Serve a package link: signature, expiry, the user, and every asset's visibility checked on this request."""
    user_id = links.verify(file_path(package_id), uid=uid, exp=exp, sig=sig)
    user = session.get(User, user_id)
    package = session.get(Package, package_id)
    if user is None or not user.is_active or package is None or package.user_id != user_id:
        raise Problem(403, "link_invalid", "下载链接无效", "the download link is not valid")
    if package.status != PackageStatus.ready or package.key is None or package.expires_at <= datetime.now(UTC):
        raise Problem(410, "package_expired", "打包文件已过期，请重新打包", "the package expired; request a new one")
    principal = principal_for(user)
    asset_ids = [uuid.UUID(item["asset_id"]) for item in package.items]
    still_visible = set(session.scalars(visibility.visible_asset_ids(principal, asset_ids)))
    if len(still_visible) != len(set(asset_ids)):
        raise Problem(403, "access_revoked", "该打包中的部分素材已撤回或您的下载权限已被收回",
                      "some material in this package was withdrawn or your access was revoked")
    limits.hit("download", str(user_id), limit=get_settings().portal_downloads_per_minute, window_seconds=60)
    for item in package.items:
        record(session, principal=principal, asset_id=uuid.UUID(item["asset_id"]), rendition=item["rendition"],
               ip=ip, size=0, package_id=package.id)
    record(session, principal=principal, asset_id=None, rendition="package", ip=ip, size=package.size or 0,
           package_id=package.id)
    return hand_over(package.key, filename=f"mediadesk-{str(package.id)[:8]}.zip", mime="application/zip",
                     size=package.size or 0, stream=stream, ttl_seconds=HANDOVER_TTL_SECONDS)
