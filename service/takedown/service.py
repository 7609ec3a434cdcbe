"""Taking an asset down: withdrawn from every collection, packages rebuilt without it, links dead, purge scheduled.

At once (one transaction): its collection items go, it stops being featured (so the portal's visibility rule answers
404 for it everywhere), its delivered copies are deleted from S3 (a presigned URL already handed out then answers
404) and every package that held it loses its ZIP and is rebuilt without it. After ``takedown_grace_days`` the
hourly sweep (workers/purge.py) deletes the original, renditions and text unless a legal hold is set.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service.core import audit
from service.core.config import get_settings
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.core.storage import get_storage
from service.core.tasks import enqueue
from service.db.asset import Asset, ReviewStatus
from service.db.portal import Collection, CollectionItem, DeliveryFile, Package, PackageStatus
from service.db.review_index import sync_review_row
from service.db.takedown import Takedown, TakedownStatus


def drop_from_packages(session: Session, asset_id: uuid.UUID) -> int:
    """Packages holding the asset lose their ZIP at once and are rebuilt without it; returns how many."""
    storage = get_storage()
    held = session.scalars(select(Package).where(Package.items.contains([{"asset_id": str(asset_id)}]),
                                                 Package.status != PackageStatus.expired)
                           .with_for_update()).all()
    for package in held:
        if package.key:
            if package.upload_id:
                storage.abort_multipart(package.key, package.upload_id)
            storage.delete(package.key)
        package.items = [item for item in package.items if item["asset_id"] != str(asset_id)]
        package.total_items = len(package.items)
        package.status, package.key, package.size, package.upload_id = PackageStatus.queued, None, None, None
        package.done_items, package.done_bytes, package.finished_at = 0, 0, None
        enqueue(session, "portal.build_package", str(package.id), queue="default")
    return len(held)


def delete_delivered_copies(session: Session, asset_id: uuid.UUID) -> int:
    """Delete the tagged copies (S3 and rows): a presigned URL handed out earlier answers 404 from then on."""
    storage = get_storage()
    asset = session.get(Asset, asset_id)
    sources = {asset.original_key, *(r.key for r in asset.renditions)} if asset is not None else set()
    copies = session.scalars(select(DeliveryFile).where(DeliveryFile.asset_id == asset_id)).all()
    for copy in copies:
        if copy.key not in sources:  # an untagged rendition is handed out as itself: purged with the asset
            storage.delete(copy.key)
    session.execute(delete(DeliveryFile).where(DeliveryFile.asset_id == asset_id))
    return len(copies) + storage.delete_prefix(f"delivery/{asset_id}/")


OPEN = (TakedownStatus.requested, TakedownStatus.taken_down)


def _open_takedown(session: Session, asset_id: uuid.UUID) -> Takedown | None:
    return session.scalar(select(Takedown).where(Takedown.asset_id == asset_id, Takedown.status.in_(OPEN))
                          .order_by(Takedown.created_at.desc()).limit(1).with_for_update())


def _already_down() -> Problem:
    return Problem(409, "already_taken_down", "该素材已下架", "this asset has already been taken down")


def take_down(session: Session, *, principal: Principal, asset_id: uuid.UUID, reason: str,
              legal_hold: bool) -> Takedown:
    asset = session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        raise not_found("asset")
    takedown = _open_takedown(session, asset_id)
    if takedown is not None and takedown.status == TakedownStatus.taken_down:
        raise _already_down()
    now = datetime.now(UTC)
    if takedown is None:  # no submitter request before: the editor acts on their own
        takedown = Takedown(asset_id=asset_id, reason=reason, summary={})
        session.add(takedown)
    else:  # acting on a submitter's request: keep what they wrote, add the editor's reason
        takedown.reason = f"{takedown.reason}\n—\n{reason}"
    takedown.campaign_id, takedown.org_id = asset.campaign_id, asset.org_id
    takedown.status, takedown.decided_by, takedown.taken_down_at = TakedownStatus.taken_down, principal.user_id, now
    takedown.legal_hold = legal_hold
    takedown.purge_after = now + timedelta(days=get_settings().takedown_grace_days)
    withdrawn = session.execute(delete(CollectionItem).where(CollectionItem.asset_id == asset_id)).rowcount  # type: ignore[attr-defined]
    session.execute(update(Collection).where(Collection.cover_asset_id == asset_id).values(cover_asset_id=None))
    asset.review_status = ReviewStatus.rejected
    takedown.summary = {"collections_withdrawn": withdrawn,
                        "packages_rebuilt": drop_from_packages(session, asset_id),
                        "delivered_copies": delete_delivered_copies(session, asset_id)}
    session.flush()
    sync_review_row(session, asset_id)
    audit.record(session, actor=principal, action="takedown.take_down", target_kind="asset", target_id=asset_id,
                 org_id=asset.org_id, detail={"takedown_id": str(takedown.id), "legal_hold": legal_hold,
                                              **takedown.summary})
    return takedown


def request_takedown(session: Session, *, principal: Principal, asset_id: uuid.UUID, reason: str) -> Takedown:
    """A submitter asks for their own organisation's file to be taken down; editors act on it."""
    asset = session.get(Asset, asset_id)
    if asset is None or (not principal.is_staff and asset.org_id != principal.org_id):
        raise not_found("asset")
    existing = _open_takedown(session, asset_id)
    if existing is not None:
        if existing.status == TakedownStatus.taken_down:
            raise _already_down()
        return existing
    takedown = Takedown(asset_id=asset_id, campaign_id=asset.campaign_id, org_id=asset.org_id,
                        status=TakedownStatus.requested, reason=reason, requested_by=principal.user_id,
                        requested_at=datetime.now(UTC), legal_hold=False, summary={})
    session.add(takedown)
    session.flush()
    audit.record(session, actor=principal, action="takedown.request", target_kind="asset", target_id=asset_id,
                 org_id=asset.org_id, detail={"takedown_id": str(takedown.id)})
    return takedown


def list_takedowns(session: Session, *, status: TakedownStatus | None, limit: int, offset: int) -> list[Takedown]:
    query = select(Takedown)
    if status is not None:
        query = query.where(Takedown.status == status)
    return list(session.scalars(query.order_by(Takedown.created_at.desc(), Takedown.id).limit(limit).offset(offset)))


def get_takedown(session: Session, takedown_id: uuid.UUID) -> Takedown:
    takedown = session.get(Takedown, takedown_id, with_for_update=True)
    if takedown is None:
        raise not_found("takedown")
    return takedown


def set_legal_hold(session: Session, *, takedown_id: uuid.UUID, legal_hold: bool,
                   principal: Principal | None = None) -> Takedown:
    takedown = get_takedown(session, takedown_id)
    if takedown.status == TakedownStatus.purged:
        raise Problem(409, "already_purged", "该素材已彻底删除", "this asset has already been purged")
    if takedown.legal_hold != legal_hold:
        audit.record(session, actor=principal, action="takedown.legal_hold", target_kind="asset",
                     target_id=takedown.asset_id, org_id=takedown.org_id,
                     detail={"takedown_id": str(takedown.id), "legal_hold": legal_hold})
    takedown.legal_hold = legal_hold
    session.flush()
    return takedown


def decline(session: Session, *, principal: Principal, takedown_id: uuid.UUID) -> Takedown:
    takedown = get_takedown(session, takedown_id)
    if takedown.status != TakedownStatus.requested:
        raise Problem(409, "not_a_request", "只能驳回待处理的下架申请", "only a pending request can be declined")
    takedown.status, takedown.decided_by = TakedownStatus.declined, principal.user_id
    audit.record(session, actor=principal, action="takedown.decline", target_kind="asset",
                 target_id=takedown.asset_id, org_id=takedown.org_id, detail={"takedown_id": str(takedown.id)})
    session.flush()
    return takedown
