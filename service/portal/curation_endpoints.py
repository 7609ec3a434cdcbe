"""/api/v1/collections and /api/v1/revocations: editors curate releases and withdraw outlets' access."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.core.deps import SessionDep, StaffDep
from service.portal import audit, collections
from service.portal.schemas import CollectionIn, CollectionOut, CollectionPatch, ItemsIn, RevocationIn, RevocationOut

router = APIRouter(prefix="/api/v1", tags=["collections"])


@router.post("/collections", status_code=201, response_model=CollectionOut)
def create_collection(body: CollectionIn, principal: StaffDep, session: SessionDep) -> CollectionOut:
    return collections.to_out(session, collections.create_collection(session, principal=principal, data=body))


@router.get("/collections", response_model=list[CollectionOut])
def list_collections(principal: StaffDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                     offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[CollectionOut]:
    rows, _ = collections.list_collections(session, limit=limit, offset=offset)
    return [collections.to_out(session, c) for c in rows]


@router.get("/collections/{collection_id}", response_model=CollectionOut)
def get_collection(collection_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> CollectionOut:
    return collections.to_out(session, collections.get_collection(session, collection_id))


@router.patch("/collections/{collection_id}", response_model=CollectionOut)
def update_collection(collection_id: uuid.UUID, body: CollectionPatch, principal: StaffDep,
                      session: SessionDep) -> CollectionOut:
    """Release (``release_at``), embargo, re-address or withdraw; takes effect on the outlets' next request."""
    return collections.to_out(session, collections.update_collection(session, collection_id=collection_id, data=body,
                                                                     principal=principal))


@router.post("/collections/{collection_id}/items", response_model=CollectionOut)
def add_items(collection_id: uuid.UUID, body: ItemsIn, principal: StaffDep, session: SessionDep) -> CollectionOut:
    collection = collections.get_collection(session, collection_id, lock=True)
    collections.add_items(session, collection, body.asset_ids, principal=principal,
                          confirm_without_consent=body.confirm_without_consent)
    return collections.to_out(session, collection)


@router.delete("/collections/{collection_id}/items/{asset_id}", status_code=204)
def remove_item(collection_id: uuid.UUID, asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> Response:
    collections.remove_item(session, collection_id=collection_id, asset_id=asset_id, principal=principal)
    return Response(status_code=204)


@router.post("/revocations", status_code=201, response_model=RevocationOut)
def revoke(body: RevocationIn, principal: StaffDep, session: SessionDep) -> RevocationOut:
    """Withdraw an outlet's access to one collection (``collection_id``) or to the whole portal (none)."""
    revocation = collections.revoke(session, principal=principal, data=body)
    return next(r for r in collections.list_revocations(session) if r.id == revocation.id)


@router.get("/revocations", response_model=list[RevocationOut])
def list_revocations(principal: StaffDep, session: SessionDep,
                     include_restored: bool = False) -> list[RevocationOut]:
    """Active revocations; ``include_restored=true`` adds the restored ones (their rows are kept)."""
    return collections.list_revocations(session, include_restored=include_restored)


@router.delete("/revocations/{revocation_id}", status_code=204)
def restore(revocation_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> Response:
    collections.restore(session, revocation_id=revocation_id, principal=principal)
    return Response(status_code=204)


@router.get("/downloads", response_model=list[audit.DownloadOut])
def list_downloads(principal: StaffDep, session: SessionDep, org_id: uuid.UUID | None = None,
                   asset_id: uuid.UUID | None = None, since: datetime | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[audit.DownloadOut]:
    """The download audit: who took what, when, from where."""
    return audit.list_downloads(session, org_id=org_id, asset_id=asset_id, since=since, limit=limit, offset=offset)


@router.get("/downloads/usage", response_model=list[audit.OutletUsage])
def outlet_usage(principal: StaffDep, session: SessionDep, since: datetime | None = None,
                 until: datetime | None = None) -> list[audit.OutletUsage]:
    """Per-outlet usage: files, distinct assets, packages, bytes, last download."""
    return audit.outlet_usage(session, since=since, until=until)
