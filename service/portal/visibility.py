"""The one visibility rule of the portal; every portal endpoint and every link check goes through it.

A collection is visible to an outlet when it is released (``release_at`` passed), out of embargo, not withdrawn,
addressed to all outlets or to this outlet by name, and the outlet's access (to it or to the portal) is not revoked.
An asset is visible when it is ready, still featured, and in at least one visible collection.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select

from service.core.security import Principal
from service.db.asset import Asset, AssetStatus, ReviewStatus
from service.db.org import Role
from service.db.portal import Audience, Collection, CollectionItem, CollectionOutlet, Revocation
from service.db.takedown import Takedown, TakedownStatus


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def collection_visible(principal: Principal, now: datetime | None = None) -> ColumnElement[bool]:
    """SQL condition on ``Collection`` for ``principal`` at ``now``."""
    at = _now(now)
    released = and_(
        Collection.release_at.is_not(None),
        Collection.release_at <= at,
        or_(Collection.embargo_until.is_(None), Collection.embargo_until <= at),
        Collection.withdrawn_at.is_(None),
    )
    if principal.role == Role.admin:
        return released  # admins support outlets: they see whatever any outlet could see
    if principal.role != Role.outlet:
        return false()  # staff curate through the collections API, not the portal
    addressed = or_(
        Collection.audience == Audience.all_outlets,
        exists().where(CollectionOutlet.collection_id == Collection.id, CollectionOutlet.org_id == principal.org_id),
    )
    revoked = exists().where(
        Revocation.org_id == principal.org_id,
        Revocation.restored_at.is_(None),
        or_(Revocation.collection_id.is_(None), Revocation.collection_id == Collection.id),
    )
    return and_(released, addressed, ~revoked)


def visible_collections(principal: Principal, now: datetime | None = None) -> Select[Collection]:
    return select(Collection).where(collection_visible(principal, now))


def asset_releasable() -> ColumnElement[bool]:
    """The asset itself may leave the house: processed, (still) featured by an editor, and not taken down."""
    taken_down = exists().where(Takedown.asset_id == Asset.id, Takedown.status == TakedownStatus.taken_down)
    return and_(Asset.status == AssetStatus.ready, Asset.review_status == ReviewStatus.featured, ~taken_down)


def asset_visible(principal: Principal, now: datetime | None = None) -> ColumnElement[bool]:
    in_visible_collection = exists().where(
        CollectionItem.asset_id == Asset.id,
        CollectionItem.collection_id == Collection.id,
        collection_visible(principal, now),
    )
    return and_(asset_releasable(), in_visible_collection)


def visible_assets(principal: Principal, now: datetime | None = None) -> Select[Asset]:
    return select(Asset).where(asset_visible(principal, now))


def visible_asset_ids(principal: Principal, asset_ids: list[uuid.UUID],
                      now: datetime | None = None) -> Select[uuid.UUID]:
    return select(Asset.id).where(Asset.id.in_(asset_ids), asset_visible(principal, now))
