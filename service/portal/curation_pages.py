"""Editors' pages: create and release collections (embargo, audience), revoke outlets, see downloads and totals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.beijing import BEIJING
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.db.asset import Asset, AssetStatus, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization, OrgKind
from service.db.portal import Audience, Collection, CollectionItem, Revocation
from service.portal import audit, collections, messages
from service.portal.pages import problem_page
from service.portal.schemas import CollectionIn, CollectionPatch, RevocationIn
from service.reports.summary import Grouping, week_summary
from service.web import i18n
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
    return "；".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())


def _list_page(request: Request, session: Session, *, error: str | None = None, status_code: int = 200,
               chosen: list[uuid.UUID] | None = None, title: str = "", confirm: bool = False,
               values: dict[str, str] | None = None) -> Response:
    rows, _ = collections.list_collections(session, limit=200, offset=0)
    now = datetime.now(UTC)
    featured, outlets = _choices(session)
    counts = dict(session.execute(select(CollectionItem.collection_id, func.count())
                                  .group_by(CollectionItem.collection_id)).tuples().all())
    return render(request, "curation/list.html", status_code=status_code,
                  collections=[(c, state_of(c, now), counts.get(c.id, 0)) for c in rows], error=error,
                  featured=featured, outlets=outlets, chosen=set(chosen or []), title=title,
                  msg=request.query_params.get("msg"), confirm=confirm, values=values or {})


@router.get("/collections")
def collections_page(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    return _list_page(request, session)


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
    confirm_without_consent: Annotated[str, Form()] = "",
) -> Response:
    lang = i18n.lang_of(request)
    if not asset_id:
        return _list_page(request, session, status_code=422, title=title,
                          error=i18n.translator(lang)("cur.empty_refused"))
    try:
        data = CollectionIn(title=title, description=description, release_at=beijing_time(release_at),
                            embargo_until=beijing_time(embargo_until), audience=Audience(audience),
                            outlet_ids=outlet_id, asset_ids=asset_id,
                            confirm_without_consent=confirm_without_consent == "on")
        collection = collections.create_collection(session, principal=principal, data=data)
    except (ValidationError, ValueError) as exc:
        message = _validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        return _list_page(request, session, status_code=422, title=title, chosen=asset_id,
                          error=i18n.detail_text(message, lang) if " / " in message else message)
    except Problem as problem:
        session.rollback()
        return _list_page(request, session, status_code=problem.status, title=title, chosen=asset_id,
                          error=i18n.detail_text(problem.detail, lang), confirm=problem.code == "consent_missing",
                          values={"release_at": release_at, "embargo_until": embargo_until})
    return RedirectResponse(f"/collections/{collection.id}?msg=created", status_code=303)


@router.get("/collections/{collection_id}")
def collection_page(collection_id: uuid.UUID, request: Request, principal: EditorPage,
                    session: SessionDep) -> Response:
    return _detail_page(request, session, collection_id)


def _detail_page(request: Request, session: Session, collection_id: uuid.UUID, *, status_code: int = 200,
                 error: str | None = None, confirm: dict[str, Any] | None = None) -> Response:
    """The collection page; ``confirm``: the refused form's values, offered again with the consent confirmation."""
    try:
        collection = collections.get_collection(session, collection_id)
    except Problem as problem:
        return problem_page(request, problem)
    out = collections.to_out(session, collection)
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(out.asset_ids)))}
    revocations = [r for r in collections.list_revocations(session)
                   if r.collection_id in (None, collection.id)]
    featured, outlets = _choices(session)
    present = set(out.asset_ids)
    return render(request, "curation/detail.html", status_code=status_code, collection=out,
                  state=state_of(collection, datetime.now(UTC)),
                  items=[assets[i] for i in out.asset_ids if i in assets], revocations=revocations,
                  featured=[a for a in featured if a.id not in present], outlets=outlets,
                  msg=request.query_params.get("msg"), n=request.query_params.get("n"), error=error,
                  confirm=confirm)


def _consent_refusal(request: Request, session: Session, collection_id: uuid.UUID, problem: Problem,
                     confirm: dict[str, Any]) -> Response:
    """A release or addition refused for missing consent: the page again, with a button to confirm it."""
    session.rollback()
    confirm["asset_ids"] = problem.extra.get("asset_ids", [])
    return _detail_page(request, session, collection_id, status_code=problem.status, confirm=confirm,
                        error=i18n.detail_text(problem.detail, i18n.lang_of(request)))


@router.post("/collections/{collection_id}/items")
def add_items_form(collection_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep,
                   asset_id: Annotated[list[uuid.UUID], Form()] = [],  # noqa: B006
                   confirm_without_consent: Annotated[str, Form()] = "") -> Response:
    """Add featured assets to an existing collection."""
    if not asset_id:
        return RedirectResponse(f"/collections/{collection_id}?msg=none_chosen", status_code=303)
    try:
        added = collections.add_items(session, collections.get_collection(session, collection_id, lock=True),
                                      asset_id, principal=principal,
                                      confirm_without_consent=confirm_without_consent == "on")
    except Problem as problem:
        if problem.code == "consent_missing":
            return _consent_refusal(request, session, collection_id, problem,
                                    {"kind": "items", "add": [str(a) for a in asset_id]})
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}?msg=added&n={added}", status_code=303)


@router.post("/collections/{collection_id}/items/{asset_id}/remove")
def remove_item_form(collection_id: uuid.UUID, asset_id: uuid.UUID, request: Request, principal: EditorPage,
                     session: SessionDep) -> Response:
    try:
        collections.remove_item(session, collection_id=collection_id, asset_id=asset_id, principal=principal)
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}?msg=removed", status_code=303)


@router.post("/collections/{collection_id}/items/{asset_id}/caption")
def caption_form(collection_id: uuid.UUID, asset_id: uuid.UUID, request: Request, principal: EditorPage,
                 session: SessionDep, caption: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """An item's caption, edited in place: the same audited edit as on the review page."""
    from service.review import service as review_service

    try:
        review_service.edit(session, principal=principal, asset_id=asset_id, version=None, caption=caption.strip())
    except Problem as problem:
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}?msg=caption_saved#item-{asset_id}", status_code=303)


@router.post("/review/add-to-collection")
async def add_from_queue(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    """The review queue's bulk 「加入合集」: choose a collection (or start one) for the selected files."""
    form = await request.form()
    try:
        ids = [uuid.UUID(str(v)) for v in form.getlist("asset_ids")][:500]
    except ValueError:
        ids = []
    back = str(form.get("back", "/review"))
    target = form.get("collection_id")
    if not ids:
        separator = "&" if "?" in back else "?"
        return RedirectResponse(f"{back if back.startswith('/review') else '/review'}{separator}msg=bulk_empty",
                                status_code=303)
    chosen = list(session.scalars(select(Asset).where(Asset.id.in_(ids))))
    if target:
        try:
            collection = collections.get_collection(session, uuid.UUID(str(target)), lock=True)
            added = collections.add_items(session, collection, ids, principal=principal)
        except (ValueError, Problem) as exc:
            session.rollback()
            message = i18n.detail_text(exc.detail, i18n.lang_of(request)) if isinstance(exc, Problem) else str(exc)
            return _choose_page(request, session, chosen, back, message)
        return RedirectResponse(f"/collections/{collection.id}?msg=added&n={added}", status_code=303)
    return _choose_page(request, session, chosen, back, None)


def _choose_page(request: Request, session: Session, chosen: list[Asset], back: str, error: str | None) -> Response:
    rows, _ = collections.list_collections(session, limit=200, offset=0)
    now = datetime.now(UTC)
    return render(request, "curation/add.html", status_code=422 if error else 200, chosen=chosen,
                  collections=[(c, state_of(c, now)) for c in rows if not c.withdrawn_at], back=back, error=error)


@router.post("/collections/{collection_id}")
def update_collection_form(
    collection_id: uuid.UUID,
    request: Request,
    principal: EditorPage,
    session: SessionDep,
    action: Annotated[str, Form()] = "save",
    release_at: Annotated[str, Form(max_length=40)] = "",
    embargo_until: Annotated[str, Form(max_length=40)] = "",
    keep_location: Annotated[str, Form()] = "",
    deliver_untouched: Annotated[str, Form()] = "",
    confirm_without_consent: Annotated[str, Form()] = "",
) -> Response:
    confirmed = confirm_without_consent == "on"
    if action == "lift":
        patch = CollectionPatch(embargo_until=None)
    elif action in ("withdraw", "republish"):
        patch = CollectionPatch(withdrawn=action == "withdraw", confirm_without_consent=confirmed)
    else:
        try:
            patch = CollectionPatch(release_at=beijing_time(release_at), embargo_until=beijing_time(embargo_until),
                                    keep_location=keep_location == "on", deliver_untouched=deliver_untouched == "on",
                                    confirm_without_consent=confirmed)
        except ValueError as exc:
            return problem_page(request, Problem(422, "validation_error", str(exc), "the form has errors"))
    try:
        collections.update_collection(session, collection_id=collection_id, data=patch, principal=principal)
    except Problem as problem:
        if problem.code == "consent_missing":
            return _consent_refusal(request, session, collection_id, problem, {
                "kind": "update", "action": action, "release_at": release_at, "embargo_until": embargo_until,
                "keep_location": keep_location, "deliver_untouched": deliver_untouched})
        return problem_page(request, problem)
    return RedirectResponse(f"/collections/{collection_id}?msg=saved", status_code=303)


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
                  summary=week_summary(session, campaign_id=chosen, group=Grouping.region))
