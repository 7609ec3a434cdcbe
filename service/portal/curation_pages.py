"""Editors' pages: create and release collections (embargo, audience), revoke outlets, see downloads and totals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.deps import SessionDep
from service.core.errors import Problem
from service.db.asset import Asset, AssetStatus, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization, OrgKind
from service.db.portal import Audience, Collection, Revocation
from service.portal import audit, collections, messages
from service.portal.catalog import BEIJING
from service.portal.pages import problem_page
from service.portal.schemas import CollectionIn, CollectionPatch, RevocationIn
from service.reports.summary import Grouping, week_summary
from service.web.deps import EditorPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)
assert messages  # the page strings and nav entries register on import


def beijing_time(value: str) -> datetime | None:
    """``<input type=datetime-local>`` sends wall-clock time without a zone: the desk works in Beijing time."""
    value = value.strip()
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=BEIJING)


def state_of(collection: Collection, now: datetime) -> str:
    if collection.withdrawn_at:
        return "withdrawn"
    if collection.release_at is None:
        return "draft"
    if collection.release_at > now:
        return "scheduled"
    if collection.embargo_until and collection.embargo_until > now:
        return "embargoed"
    return "live"


def _choices(session: Session) -> tuple[list[Asset], list[Organization]]:
    featured = session.scalars(select(Asset).where(Asset.review_status == ReviewStatus.featured,
                                                   Asset.status == AssetStatus.ready)
                               .order_by(Asset.updated_at.desc()).limit(300)).all()
    outlets = session.scalars(select(Organization).where(Organization.kind == OrgKind.outlet)
                              .order_by(Organization.name)).all()
    return list(featured), list(outlets)


def _validation_message(exc: ValidationError) -> str:
    return "；".join(str(e.get("msg", "")) for e in exc.errors())


@router.get("/collections")
def collections_page(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    rows, _ = collections.list_collections(session, limit=200, offset=0)
    now = datetime.now(UTC)
    featured, outlets = _choices(session)
    return render(request, "curation/list.html", collections=[(c, state_of(c, now)) for c in rows],
                  beijing=BEIJING, error=None, featured=featured, outlets=outlets)


@router.post("/collections")
def create_collection_form(
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    title: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
    release_at: Annotated[str, Form(max_length=40)] = "",
    embargo_until: Annotated[str, Form(max_length=40)] = "",
    audience: Annotated[str, Form()] = "all",
    outlet_id: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    asset_id: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
) -> Response:
    try:
        data = CollectionIn(title=title, description=description, release_at=beijing_time(release_at),
                            embargo_until=beijing_time(embargo_until), audience=Audience(audience),
                            outlet_ids=outlet_id,
                            asset_ids=asset_id)
        collection = collections.create_collection(session, principal=principal, data=data)
    except (ValidationError, ValueError) as exc:
        message = _validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        return problem_page(request, Problem(422, "validation_error", message, "the form has errors"))
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection.id}", status_code=303)


@router.get("/collections/{collection_id}")
def collection_page(collection_id: uuid.UUID, request: Request, principal: EditorPage,
                    session: SessionDep) -> Response:
    try:
        collection = collections.get_collection(session, collection_id)
    except Problem as problem:
        return problem_page(request, problem)
    out = collections.to_out(session, collection)
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(out.asset_ids)))}
    revocations = [r for r in collections.list_revocations(session)
                   if r.collection_id in (None, collection.id)]
    featured, outlets = _choices(session)
    return render(request, "curation/detail.html", collection=out, state=state_of(collection, datetime.now(UTC)),
                  items=[assets[i] for i in out.asset_ids if i in assets], revocations=revocations,
                  beijing=BEIJING, featured=featured, outlets=outlets)


@router.post("/collections/{collection_id}")
def update_collection_form(
    collection_id: uuid.UUID,
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    action: Annotated[str, Form()] = "save",
    release_at: Annotated[str, Form(max_length=40)] = "",
    embargo_until: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    if action == "lift":
        patch = CollectionPatch(embargo_until=None)
    elif action in ("withdraw", "republish"):
        patch = CollectionPatch(withdrawn=action == "withdraw")
    else:
        try:
            patch = CollectionPatch(release_at=beijing_time(release_at), embargo_until=beijing_time(embargo_until))
        except ValueError as exc:
            return problem_page(request, Problem(422, "validation_error", str(exc), "the form has errors"))
    try:
        collections.update_collection(session, collection_id=collection_id, data=patch)
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/collections/{collection_id}/revoke")
def revoke_form(collection_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep,
                org_id: Annotated[uuid.UUID, Form()], scope: Annotated[str, Form()] = "collection",
                reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    data = RevocationIn(org_id=org_id, collection_id=collection_id if scope == "collection" else None, reason=reason)
    try:
        collections.revoke(session, principal=principal, data=data)
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}", status_code=303)


@router.post("/revocations/{revocation_id}/restore")
def restore_form(revocation_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep,
                 back: Annotated[str, Form(pattern=r"^/collections/[0-9a-f-]{36}$")] = "/collections") -> Response:
    if session.get(Revocation, revocation_id) is not None:
        collections.restore(session, revocation_id=revocation_id, principal=principal)
    return RedirectResponse(back, status_code=303)


@router.get("/distribution")
def distribution_page(request: Request, principal: EditorPage, session: SessionDep,
                      campaign_id: uuid.UUID | None = None) -> Response:
    """Download audit, usage per outlet, and the week's summary per province with CSV/XLSX exports."""
    campaigns = session.scalars(select(Campaign).order_by(Campaign.week_start.desc()).limit(50)).all()
    chosen = campaign_id or (campaigns[0].id if campaigns else None)
    return render(request, "curation/distribution.html",
                  downloads=audit.list_downloads(session, org_id=None, asset_id=None, since=None, limit=100,
                                                 offset=0),
                  usage=audit.outlet_usage(session), campaigns=campaigns, campaign_id=chosen,
                  summary=week_summary(session, campaign_id=chosen, group=Grouping.region), beijing=BEIJING)
