"""Editors curate collections: featured assets, audience, release time, embargo; and revoke outlets' access."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.assets.on_demand import request_all
from service.consent.service import confirm_consent
from service.core import audit
from service.core.audit import record
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.core.tasks import enqueue
from service.db.asset import Asset, AssetStatus, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization, OrgKind
from service.db.portal import Audience, Collection, CollectionItem, CollectionOutlet, Revocation
from service.notify.schedule import announce_release
from service.portal.schemas import CollectionIn, CollectionOut, CollectionPatch, RevocationIn, RevocationOut

#: Renditions prepared (caption written in) as soon as an asset joins a collection, so downloads start at once.
PREPARED_RENDITIONS = ("original", "web", "broadcast_1080p")


def get_collection(session: Session, collection_id: uuid.UUID, *, lock: bool = False) -> Collection:
    collection = session.get(Collection, collection_id, with_for_update=lock)
    if collection is None:
        raise not_found("collection")
    return collection


def _outlets(session: Session, ids: list[uuid.UUID]) -> list[uuid.UUID]:
    found = set(session.scalars(select(Organization.id).where(Organization.id.in_(ids),
                                                              Organization.kind == OrgKind.outlet)))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise Problem(422, "unknown_outlet", "所列单位不是媒体单位", "not outlet organisations",
                      extra={"org_ids": missing})
    return list(dict.fromkeys(ids))


def is_released(collection: Collection) -> bool:
    """Released (now or at a set time) and not withdrawn: what the consent check guards."""
    return collection.release_at is not None and collection.withdrawn_at is None


def add_items(session: Session, collection: Collection, asset_ids: list[uuid.UUID], *,
              principal: Principal, confirm_without_consent: bool = False) -> int:
    """Add featured, processed assets (in the order given); returns how many were new. Adding to a released
    collection asks for confirmation of files with faces and missing consent (409 ``consent_missing``)."""
    ids = list(dict.fromkeys(asset_ids))
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(ids)))}
    missing = [str(i) for i in ids if i not in assets]
    if missing:
        raise Problem(404, "not_found", "未找到素材", "assets not found", extra={"asset_ids": missing})
    not_featured = [str(a.id) for a in assets.values()
                    if a.review_status != ReviewStatus.featured or a.status != AssetStatus.ready]
    if not_featured:
        raise Problem(409, "asset_not_featured", "只有已处理完成且被评为精选的素材可加入专题",
                      "only processed assets marked featured can join a collection", extra={"asset_ids": not_featured})
    present = set(session.scalars(select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection.id)))
    if is_released(collection):
        confirm_consent(session, principal=principal, asset_ids=[i for i in ids if i not in present],
                        confirmed=confirm_without_consent, context="collection_add", collection_id=collection.id)
    position = session.scalar(select(func.coalesce(func.max(CollectionItem.position), 0))
                              .where(CollectionItem.collection_id == collection.id)) or 0
    added = 0
    for asset_id in ids:
        if asset_id in present:
            continue
        position += 1
        session.add(CollectionItem(collection_id=collection.id, asset_id=asset_id, position=position))
        request_all(session, assets[asset_id])  # videos featured before broadcast renditions were on demand
        for rendition in PREPARED_RENDITIONS:
            enqueue(session, "portal.deliver", str(asset_id), rendition, queue="default")
        added += 1
    session.flush()
    if added:
        new_ids = [str(i) for i in ids if i not in present]
        audit.record(session, actor=principal, action="collection.items_add", target_kind="collection",
                     target_id=collection.id, detail={"asset_ids": new_ids})
    return added


def create_collection(session: Session, *, principal: Principal, data: CollectionIn) -> Collection:
    if data.campaign_id is not None and session.get(Campaign, data.campaign_id) is None:
        raise not_found("campaign")
    collection = Collection(
        title=data.title, description=data.description, campaign_id=data.campaign_id, audience=data.audience,
        release_at=data.release_at, embargo_until=data.embargo_until, created_by=principal.user_id,
    )
    session.add(collection)
    session.flush()
    set_keep_location(session, collection, data.keep_location, principal)
    set_deliver_untouched(session, collection, data.deliver_untouched, principal)
    for org_id in _outlets(session, data.outlet_ids):
        session.add(CollectionOutlet(collection_id=collection.id, org_id=org_id))
    session.flush()
    audit.record(session, actor=principal, action="collection.create", target_kind="collection",
                 target_id=collection.id, detail=_state(collection))
    if data.asset_ids:
        add_items(session, collection, data.asset_ids, principal=principal,
                  confirm_without_consent=data.confirm_without_consent)
    _set_cover(session, collection, data.cover_asset_id)
    session.flush()
    announce_release(session, collection)  # released at once: its outlets hear now (later ones: the periodic check)
    return collection


def _state(collection: Collection) -> dict[str, Any]:
    """What the audit log keeps of a collection: release, embargo, audience, outlets, withdrawal (no titles)."""
    def at(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"release_at": at(collection.release_at), "embargo_until": at(collection.embargo_until),
            "audience": collection.audience.value if collection.audience else None,
            "outlet_ids": sorted(str(o.org_id) for o in collection.outlets),
            "withdrawn": collection.withdrawn_at is not None, "keep_location": bool(collection.keep_location),
            "cover_asset_id": str(collection.cover_asset_id) if collection.cover_asset_id else None}


def _audit_update(session: Session, collection: Collection, before: dict[str, Any], fields: set[str],
                  principal: Principal | None) -> None:
    """One row per kind of change, so a release, an embargo and a withdrawal can be filtered apart."""
    after = _state(collection)
    changed = {k for k in after if before[k] != after[k]} | (fields & {"title", "description"})
    actions: list[tuple[str, set[str]]] = []
    if "release_at" in changed:
        actions.append(("collection.release", {"release_at"}))
    if "embargo_until" in changed:
        actions.append(("collection.embargo", {"embargo_until"}))
    if "withdrawn" in changed:
        actions.append(("collection.withdraw" if after["withdrawn"] else "collection.unwithdraw", {"withdrawn"}))
    # keep_location and deliver_untouched have their own audited setters (set_keep_location, set_deliver_untouched)
    rest = changed - {"release_at", "embargo_until", "withdrawn", "keep_location", "deliver_untouched"}
    if rest:
        actions.append(("collection.edit", rest))
    for action, keys in actions:
        detail: dict[str, Any] = {"fields": sorted(keys)}
        detail.update({k: {"from": before[k], "to": after[k]} for k in sorted(keys) if k in after})
        audit.record(session, actor=principal, action=action, target_kind="collection", target_id=collection.id,
                     detail=detail)


def _set_cover(session: Session, collection: Collection, cover: uuid.UUID | None) -> None:
    if cover is None:
        first = session.scalar(select(CollectionItem.asset_id).where(CollectionItem.collection_id == collection.id)
                               .order_by(CollectionItem.position).limit(1))
        collection.cover_asset_id = collection.cover_asset_id or first
        return
    member = session.scalar(select(CollectionItem.id).where(CollectionItem.collection_id == collection.id,
                                                            CollectionItem.asset_id == cover))
    if member is None:
        raise Problem(422, "cover_not_in_collection", "封面须是专题中的素材",
                      "the cover must be one of the collection's assets")
    collection.cover_asset_id = cover


def set_keep_location(session: Session, collection: Collection, keep: bool, principal: Principal) -> None:
    """An editor lets this release show where its photos were taken: who and when are kept with the flag, and the
    change is audited (``collection.keep_location``)."""
    if keep != bool(collection.keep_location):
        collection.keep_location = keep
        collection.keep_location_by, collection.keep_location_at = principal.user_id, datetime.now(UTC)
        record(session, actor=principal, action="collection.keep_location", target_kind="collection",
               target_id=collection.id, detail={"keep_location": keep})


def set_deliver_untouched(session: Session, collection: Collection, deliver: bool, principal: Principal) -> None:
    """An editor lets outlets of this release download the untouched original of PNG/HEIC/TIFF/… files (with all
    their EXIF) besides the tagged JPEG; recorded beside the flag and audited (``collection.deliver_untouched``)."""
    if deliver != bool(collection.deliver_untouched):
        collection.deliver_untouched = deliver
        collection.deliver_untouched_by, collection.deliver_untouched_at = principal.user_id, datetime.now(UTC)
        record(session, actor=principal, action="collection.deliver_untouched", target_kind="collection",
               target_id=collection.id, detail={"deliver_untouched": deliver})


def update_collection(session: Session, *, collection_id: uuid.UUID, data: CollectionPatch,
                      principal: Principal | None = None) -> Collection:
    collection = get_collection(session, collection_id, lock=True)
    before = _state(collection)
    was_released = is_released(collection)
    fields = data.model_fields_set
    if data.keep_location is not None and principal is not None:
        set_keep_location(session, collection, data.keep_location, principal)
    if data.deliver_untouched is not None and principal is not None:
        set_deliver_untouched(session, collection, data.deliver_untouched, principal)
    for name in ("title", "description", "audience", "release_at", "embargo_until"):
        if name in fields and (name in ("release_at", "embargo_until") or getattr(data, name) is not None):
            setattr(collection, name, getattr(data, name))
    if data.outlet_ids is not None:
        wanted = set(_outlets(session, data.outlet_ids))
        for link in list(collection.outlets):
            if link.org_id not in wanted:
                collection.outlets.remove(link)
        have = {link.org_id for link in collection.outlets}
        for org_id in wanted - have:
            collection.outlets.append(CollectionOutlet(collection_id=collection.id, org_id=org_id))
    if data.withdrawn is not None:
        collection.withdrawn_at = datetime.now(UTC) if data.withdrawn else None
    if "cover_asset_id" in fields:
        _set_cover(session, collection, data.cover_asset_id)
    session.flush()
    if is_released(collection) and not was_released and principal is not None:
        members = list(session.scalars(select(CollectionItem.asset_id)
                                       .where(CollectionItem.collection_id == collection.id)))
        confirm_consent(session, principal=principal, asset_ids=members, confirmed=data.confirm_without_consent,
                        context="release", collection_id=collection.id)
    if collection.audience == Audience.named and not collection.outlets:
        raise Problem(422, "no_outlets", "指定媒体发布须至少列出一家媒体",
                      "a 'named' release needs at least one outlet")
    announce_release(session, collection)
    _audit_update(session, collection, before, set(fields), principal)
    return collection


def remove_item(session: Session, *, collection_id: uuid.UUID, asset_id: uuid.UUID,
                principal: Principal | None = None) -> None:
    collection = get_collection(session, collection_id, lock=True)
    item = session.scalar(select(CollectionItem).where(CollectionItem.collection_id == collection.id,
                                                       CollectionItem.asset_id == asset_id))
    if item is None:
        raise not_found("collection item")
    session.delete(item)
    if collection.cover_asset_id == asset_id:
        collection.cover_asset_id = None
    session.flush()
    audit.record(session, actor=principal, action="collection.item_remove", target_kind="collection",
                 target_id=collection.id, detail={"asset_id": str(asset_id)})


def to_out(session: Session, collection: Collection) -> CollectionOut:
    asset_ids = list(session.scalars(select(CollectionItem.asset_id)
                                     .where(CollectionItem.collection_id == collection.id)
                                     .order_by(CollectionItem.position)))
    return CollectionOut(
        id=collection.id, title=collection.title, description=collection.description,
        campaign_id=collection.campaign_id, cover_asset_id=collection.cover_asset_id,
        audience=collection.audience.value, outlet_ids=[o.org_id for o in collection.outlets], asset_ids=asset_ids,
        release_at=collection.release_at, embargo_until=collection.embargo_until,
        withdrawn_at=collection.withdrawn_at, created_at=collection.created_at,
        keep_location=bool(collection.keep_location), keep_location_by=collection.keep_location_by,
        keep_location_at=collection.keep_location_at, deliver_untouched=bool(collection.deliver_untouched),
        deliver_untouched_by=collection.deliver_untouched_by, deliver_untouched_at=collection.deliver_untouched_at,
    )


def list_collections(session: Session, *, limit: int, offset: int) -> tuple[list[Collection], int]:
    total = session.scalar(select(func.count(Collection.id))) or 0
    rows = session.scalars(select(Collection).order_by(Collection.created_at.desc()).limit(limit).offset(offset))
    return list(rows), total


# revocations ----------------------------------------------------------------------------------------------------
def revoke(session: Session, *, principal: Principal, data: RevocationIn) -> Revocation:
    """Withdraw an outlet's access at once: every portal request and issued link checks this table."""
    org = session.get(Organization, data.org_id)
    if org is None or org.kind != OrgKind.outlet:
        raise Problem(422, "unknown_outlet", "所列单位不是媒体单位", "not an outlet organisation")
    if data.collection_id is not None:
        get_collection(session, data.collection_id)
    existing = session.scalar(select(Revocation).where(
        Revocation.org_id == data.org_id,
        Revocation.restored_at.is_(None),
        Revocation.collection_id.is_(None) if data.collection_id is None
        else Revocation.collection_id == data.collection_id,
    ))
    if existing is not None:
        return existing  # revoking twice is the same revocation
    revocation = Revocation(org_id=data.org_id, collection_id=data.collection_id, reason=data.reason,
                            revoked_by=principal.user_id)
    session.add(revocation)
    session.flush()
    audit.record(session, actor=principal, action="revocation.create", target_kind="revocation",
                 target_id=revocation.id, org_id=data.org_id,
                 detail={"collection_id": str(data.collection_id) if data.collection_id else None})
    return revocation


def restore(session: Session, *, revocation_id: uuid.UUID, principal: Principal | None = None) -> None:
    """End the revocation; the row stays (restored_at/by) so the history of access is never lost."""
    revocation = session.get(Revocation, revocation_id, with_for_update=True)
    if revocation is None:
        raise not_found("revocation")
    if revocation.restored_at is None:
        revocation.restored_at = datetime.now(UTC)
        revocation.restored_by = principal.user_id if principal is not None else None
        audit.record(session, actor=principal, action="revocation.restore", target_kind="revocation",
                     target_id=revocation.id, org_id=revocation.org_id,
                     detail={"collection_id": str(revocation.collection_id) if revocation.collection_id else None})
    session.flush()


def list_revocations(session: Session, *, include_restored: bool = False) -> list[RevocationOut]:
    query = (select(Revocation, Organization.name).join(Organization, Organization.id == Revocation.org_id)
             .order_by(Revocation.created_at.desc()))
    if not include_restored:
        query = query.where(Revocation.restored_at.is_(None))
    rows = session.execute(query).all()
    return [RevocationOut(id=r.id, org_id=r.org_id, org_name=name, collection_id=r.collection_id, reason=r.reason,
                          created_at=r.created_at, revoked_by=r.revoked_by, restored_at=r.restored_at,
                          restored_by=r.restored_by) for r, name in rows]
