"""Form posts of the editors' pages: decisions, edits, bulk decisions and duplicate-cluster resolution.

Each calls the same review service as the JSON API; a refused change (409 claim/version, 422 reason) re-renders the
asset page with the reason instead of failing silently.
"""

from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from service.core.bounds import ascii_int
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.core.text import clean_text
from service.review import clusters, service
from service.review.reasons import Action
from service.web import i18n
from service.web.deps import EditorPage, safe_next
from service.web.review_pages import detail_with_error
from service.web.templating import render

router = APIRouter(include_in_schema=False)


def _int(value: object) -> int | None:
    return ascii_int(str(value))


def _tags(value: object) -> list[str]:
    names = (clean_text(t, multiline=False) for t in re.split(r"[,，、\s]+", str(value or "")))
    return [t for t in names if t][:20]


@router.post("/review/assets/{asset_id}/decision")
async def decide(asset_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep) -> Response:
    form = await request.form()
    try:
        action = Action(str(form.get("action", "")))
        service.decide(session, principal=principal, asset_id=asset_id, action=action,
                       version=_int(form.get("version")), reason_code=str(form.get("reason_code") or "") or None,
                       reason_text=clean_text(str(form.get("reason_text", "")))[:2000],
                       confirm_without_consent=form.get("confirm_without_consent") == "on")
    except ValueError:
        return detail_with_error(request, session, principal, asset_id,
                                  Problem(422, "bad_action", "未知的操作", "unknown action"))
    except Problem as problem:
        return detail_with_error(request, session, principal, asset_id, problem)
    target = safe_next(str(form.get("next", "")), "/review")
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}msg={action.value}", status_code=303)


@router.post("/review/assets/{asset_id}/edit")
async def edit(asset_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep) -> Response:
    form = await request.form()
    caption, credit = clean_text(str(form.get("caption", ""))), clean_text(str(form.get("credit", "")), multiline=False)
    if len(caption) > 2000 or len(credit) > 300:
        return detail_with_error(request, session, principal, asset_id, Problem(
            422, "too_long", "说明不超过 2000 字，署名不超过 300 字", "caption ≤ 2000 and credit ≤ 300 characters"))
    add = [t for t in _tags(form.get("add_tags")) if len(t) <= 60]
    try:
        service.edit(session, principal=principal, asset_id=asset_id, version=_int(form.get("version")),
                     caption=caption, credit=credit, add_tags=add,
                     remove_tags=[clean_text(str(v), multiline=False) for v in form.getlist("remove_tags")])
    except Problem as problem:
        return detail_with_error(request, session, principal, asset_id, problem)
    return RedirectResponse(f"/review/assets/{asset_id}?msg=saved", status_code=303)


@router.post("/review/bulk")
async def bulk(request: Request, principal: EditorPage, session: SessionDep) -> Response:
    form = await request.form()
    back = safe_next(str(form.get("back", "")), "/review")
    separator = "&" if "?" in back else "?"
    try:
        ids = [uuid.UUID(str(v)) for v in form.getlist("asset_ids")][:200]
        action = Action(str(form.get("action", "")))
    except ValueError:
        return RedirectResponse(f"{back}{separator}msg=bulk_invalid", status_code=303)
    if not ids:
        return RedirectResponse(f"{back}{separator}msg=bulk_empty", status_code=303)
    try:
        done, skipped = service.bulk_decide(session, principal=principal, asset_ids=ids, action=action,
                                            reason_code=str(form.get("reason_code") or "") or None,
                                            reason_text=clean_text(str(form.get("reason_text", "")))[:2000],
                       confirm_without_consent=form.get("confirm_without_consent") == "on")
    except Problem:
        return RedirectResponse(f"{back}{separator}msg=bulk_reason", status_code=303)
    return RedirectResponse(f"{back}{separator}msg=bulk&done={len(done)}&skipped={len(skipped)}", status_code=303)


@router.post("/review/clusters/{cluster_id}/resolve")
async def resolve(cluster_id: uuid.UUID, request: Request, principal: EditorPage, session: SessionDep) -> Response:
    form = await request.form()
    keep_raw = str(form.get("keep", ""))
    try:
        keep = uuid.UUID(keep_raw) if keep_raw else None
        kept, _ = clusters.resolve(session, principal=principal, cluster_id=cluster_id, keep=keep)
    except ValueError:
        return RedirectResponse("/review?msg=bad_cluster", status_code=303)
    except Problem as problem:
        if keep is None:
            return render(request, "error.html", status_code=problem.status,
                          message=i18n.detail_text(problem.detail, i18n.lang_of(request)))
        return detail_with_error(request, session, principal, keep, problem)
    return RedirectResponse(f"/review/assets/{kept}?msg=cluster_resolved", status_code=303)
