"""What outlets browse: released collections and the assets in them, searchable, through the visibility rule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from service.core.beijing import BEIJING
from service.core.config import get_settings
from service.core.errors import not_found
from service.core.security import Principal
from service.db.asset import Asset, AssetKind, Rendition
from service.db.credits import credits_for
from service.db.org import Organization
from service.db.portal import Collection, CollectionItem
from service.db.submission import Submission
from service.portal import visibility
from service.portal.schemas import PortalAsset, PortalCollection, PortalCollectionDetail, PortalRendition

#: Working renditions that are not for publication (page previews, thumbnails, sprite strips, streaming segments);
#: the derive step (workers/steps/derive.py on main) also writes web, web_webp, proxy_720p, broadcast_1080p.
INTERNAL_RENDITION_PREFIXES = ("thumb", "preview", "sprite", "strip", "hls", "poster")
#: What the outlet's in-page player plays: the 720p proxy (H.264/AAC MP4, every browser plays it, no player script).
PLAY_RENDITION = "proxy_720p"


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    tag: str | None = None
    region: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: AssetKind | None = None
    collection_id: uuid.UUID | None = None


def downloadable(asset: Asset) -> list[tuple[str, str, int | None, int | None, int]]:
    """(name, mime, width, height, size) of what an outlet may download, the original first."""
    found = [("original", asset.mime or "application/octet-stream", asset.width, asset.height, asset.size)]
    found += [(r.name, r.mime, r.width, r.height, r.size) for r in asset.renditions
              if not r.name.startswith(INTERNAL_RENDITION_PREFIXES)]
    return found


def rendition_of(asset: Asset, name: str) -> Rendition | None:
    return next((r for r in asset.renditions if r.name == name), None)


def to_portal_asset(asset: Asset, submission: Submission, org: Organization) -> PortalAsset:
    credits = credits_for(asset, submission, org, copyright_notice=get_settings().portal_copyright)
    base = f"/api/v1/portal/assets/{asset.id}"
    return PortalAsset(
        id=asset.id, kind=asset.kind.value if asset.kind else None, headline=credits.headline,
        caption=credits.caption, credit=credits.credit, date=credits.date, place=credits.place,
        region_code=credits.region_code, organization=credits.organization, keywords=list(credits.keywords),
        width=asset.width, height=asset.height, duration=asset.duration, preview_url=f"{base}/preview",
        play_url=f"{base}/play" if rendition_of(asset, PLAY_RENDITION) is not None else None,
        renditions=[PortalRendition(name=n, mime=m, width=w, height=h, size=s,
                                    download_url=f"{base}/renditions/{n}") for n, m, w, h, s in downloadable(asset)],
    )


def _with_context(session: Session, query: object) -> list[tuple[Asset, Submission, Organization]]:
    rows = session.execute(query).all()  # type: ignore[call-overload]
    return [(a, s, o) for a, s, o in rows]


def _asset_query(principal: Principal):  # type: ignore[no-untyped-def]
    return (select(Asset, Submission, Organization)
            .join(Submission, Submission.id == Asset.submission_id)
            .join(Organization, Organization.id == Asset.org_id)
            .where(visibility.asset_visible(principal))
            .options(selectinload(Asset.renditions)))


def search_assets(session: Session, *, principal: Principal, filters: SearchFilters, limit: int,
                  offset: int) -> tuple[list[PortalAsset], int]:
    query = _asset_query(principal)
    if filters.q:
        escaped = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        query = query.where(or_(Asset.headline.ilike(pattern), Asset.caption.ilike(pattern),
                                Asset.credit.ilike(pattern), Submission.title.ilike(pattern),
                                Submission.description.ilike(pattern), Submission.place.ilike(pattern),
                                Organization.name.ilike(pattern)))
    if filters.tag:
        query = query.where(Submission.theme_tags.any(filters.tag))  # type: ignore[arg-type]  # ARRAY ANY(...)
    if filters.region:
        # A province code (370000) matches its cities (370100): compare the significant prefix.
        prefix = filters.region.rstrip("0") or filters.region
        region = func.coalesce(Submission.region_code, Organization.region_code)
        query = query.where(region.startswith(prefix[:2] if len(prefix) <= 2 else prefix[:4] if len(prefix) <= 4
                                              else prefix))
    when = func.coalesce(Submission.activity_date, cast(func.timezone("Asia/Shanghai", Asset.capture_time), Date))
    if filters.date_from:
        query = query.where(when >= filters.date_from)
    if filters.date_to:
        query = query.where(when <= filters.date_to)
    if filters.kind:
        query = query.where(Asset.kind == filters.kind)
    if filters.collection_id:
        query = query.where(Asset.id.in_(select(CollectionItem.asset_id)
                                         .where(CollectionItem.collection_id == filters.collection_id)))
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Asset.id).subquery())) or 0
    rows = _with_context(session, query.order_by(when.desc().nulls_last(), Asset.id).limit(limit).offset(offset))
    return [to_portal_asset(a, s, o) for a, s, o in rows], total


def get_asset(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> tuple[Asset, Submission, Organization]:
    rows = _with_context(session, _asset_query(principal).where(Asset.id == asset_id))
    if not rows:
        raise not_found("asset")  # unreleased, embargoed, revoked and foreign-private all look the same: absent
    return rows[0]


def _released_at(collection: Collection) -> datetime:
    moments = [m for m in (collection.release_at, collection.embargo_until) if m is not None]
    return max(moments) if moments else datetime.combine(date.today(), time(0), BEIJING)


def _summary(session: Session, principal: Principal, collection: Collection) -> PortalCollection:
    count = session.scalar(select(func.count(CollectionItem.id)).join(Asset, Asset.id == CollectionItem.asset_id)
                           .where(CollectionItem.collection_id == collection.id, visibility.asset_releasable())) or 0
    cover = collection.cover_asset_id
    return PortalCollection(id=collection.id, title=collection.title, description=collection.description,
                            cover_url=f"/api/v1/portal/assets/{cover}/preview" if cover else None,
                            released_at=_released_at(collection), asset_count=count)


def list_collections(session: Session, *, principal: Principal) -> list[PortalCollection]:
    rows = session.scalars(visibility.visible_collections(principal)
                           .order_by(func.coalesce(Collection.embargo_until, Collection.release_at).desc()))
    return [_summary(session, principal, c) for c in rows]


def get_collection(session: Session, *, principal: Principal, collection_id: uuid.UUID, limit: int = 200,
                   offset: int = 0) -> PortalCollectionDetail:
    collection = session.scalar(visibility.visible_collections(principal).where(Collection.id == collection_id))
    if collection is None:
        raise not_found("collection")
    assets, _ = search_assets(session, principal=principal, filters=SearchFilters(collection_id=collection_id),
                              limit=limit, offset=offset)
    return PortalCollectionDetail(**_summary(session, principal, collection).model_dump(), assets=assets)
