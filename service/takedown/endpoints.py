"""/api/v1/…/takedown: editors and admins take an asset down; a submitter asks for their own file to be."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from service.core.deps import SessionDep, StaffDep, UploaderDep
from service.db.takedown import TakedownStatus
from service.takedown import service
from service.takedown.schemas import TakedownIn, TakedownOut, TakedownPatch, TakedownRequestIn

router = APIRouter(prefix="/api/v1", tags=["takedown"])


@router.post("/assets/{asset_id}/takedown", status_code=201, response_model=TakedownOut)
def take_down(asset_id: uuid.UUID, body: TakedownIn, principal: StaffDep, session: SessionDep) -> TakedownOut:
    """Withdraw the asset everywhere now; its bytes and text are purged after the grace period."""
    takedown = service.take_down(session, principal=principal, asset_id=asset_id, reason=body.reason,
                                 legal_hold=body.legal_hold)
    return TakedownOut.model_validate(takedown)


@router.post("/assets/{asset_id}/takedown-request", status_code=202, response_model=TakedownOut)
def request_takedown(asset_id: uuid.UUID, body: TakedownRequestIn, principal: UploaderDep,
                     session: SessionDep) -> TakedownOut:
    """Ask the editors to take down a file of your organisation (e.g. consent withdrawn)."""
    takedown = service.request_takedown(session, principal=principal, asset_id=asset_id, reason=body.reason)
    return TakedownOut.model_validate(takedown)


@router.get("/takedowns", response_model=list[TakedownOut])
def list_takedowns(principal: StaffDep, session: SessionDep, status: TakedownStatus | None = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[TakedownOut]:
    rows = service.list_takedowns(session, status=status, limit=limit, offset=offset)
    return [TakedownOut.model_validate(row) for row in rows]


@router.patch("/takedowns/{takedown_id}", response_model=TakedownOut)
def set_legal_hold(takedown_id: uuid.UUID, body: TakedownPatch, principal: StaffDep,
                   session: SessionDep) -> TakedownOut:
    """Set or lift the legal hold (a held takedown is never purged)."""
    return TakedownOut.model_validate(service.set_legal_hold(session, takedown_id=takedown_id,
                                                             legal_hold=body.legal_hold, principal=principal))


@router.post("/takedowns/{takedown_id}/decline", response_model=TakedownOut)
def decline(takedown_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> TakedownOut:
    """Decline a submitter's request (the asset stays)."""
    return TakedownOut.model_validate(service.decline(session, principal=principal, takedown_id=takedown_id))
