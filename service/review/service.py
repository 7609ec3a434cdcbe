"""Decisions and edits on assets in review. Keyword-only, flush-only; every change is an audit event.

Concurrency: each change locks the ``review`` row, refuses while another editor's claim is live (409
``claimed_by_other``) and, when the caller sends the ``version`` it saw, refuses a stale one (409 ``version_conflict``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.assets.on_demand import request_all
from service.consent.service import confirm_consent
from service.core.errors import Problem
from service.core.events import EventKind, publish
from service.core.security import Principal
from service.db.asset import Asset, ReviewStatus
from service.db.review import Review
from service.db.review_index import sync_review_row
from service.db.screening import AssetTag, Tag, TagSource
from service.review import audit, claims
from service.review.reasons import REASONS, Action


def version_conflict(review: Review) -> Problem:
    return Problem(409, "version_conflict", "该素材已被其他编辑修改，请刷新后再操作",
                   "someone else changed this asset in the meantime; reload and try again",
                   extra={"current_version": review.version})


def _lock_for_change(session: Session, principal: Principal, asset_id: uuid.UUID, version: int | None) -> Review:
    review = claims.load_review(session, asset_id, lock=True)
    if claims.held_by_other(review, principal):
        raise claims.claimed_problem(session, review)
    if version is not None and version != review.version:
        raise version_conflict(review)
    return review


def _state(asset: Asset, review: Review) -> dict[str, Any]:
    return {"review_status": review.review_status, "reason_code": review.reason_code,
            "reason_text": review.reason_text, "caption": asset.caption, "credit": asset.credit,
            "tags": sorted(review.tag_names or [])}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


def decide(
    session: Session,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    action: Action,
    version: int | None,
    reason_code: str | None = None,
    reason_text: str = "",
    audit_action: str | None = None,
    confirm_without_consent: bool = False,
) -> Review:
    """Approve, reject, feature or return one asset. Reject/return need a reason code from the list. Featuring a file
    with faces and missing consent needs ``confirm_without_consent`` (else 409 ``consent_missing``; audited)."""
    if action.needs_reason:
        if reason_code not in REASONS:
            raise Problem(422, "reason_required", "退回或不采用时必须从列表中选择原因",
                          "reject and return need a reason from the list", extra={"reasons": list(REASONS)})
        if reason_code == "other" and not reason_text.strip():
            raise Problem(422, "reason_text_required", "选择“其他原因”时请填写说明",
                          "reason 'other' needs an explanation")
    review = _lock_for_change(session, principal, asset_id, version)
    asset = session.get(Asset, asset_id)
    assert asset is not None  # the review row's foreign key guarantees it
    if action == Action.feature and asset.review_status != ReviewStatus.featured:
        confirm_consent(session, principal=principal, asset_ids=[asset_id], confirmed=confirm_without_consent,
                        context="feature")
    before = _state(asset, review)
    asset.review_status = ReviewStatus(action.status)
    review.review_status = action.status
    review.reason_code = reason_code if action.needs_reason else None
    review.reason_text = reason_text.strip() if action.needs_reason else ""
    review.decided_by, review.decided_at = principal.user_id, datetime.now(UTC)
    review.version += 1
    review.claimed_by, review.claimed_until = None, None  # decided: the next editor may open it at once
    old, new = _diff(before, _state(asset, review))
    audit.record(session, principal=principal, asset_id=asset_id, action=audit_action or action.value,
                 before=old, after=new)
    if action == Action.feature:  # picked for central media: make the broadcast rendition now, not at upload
        request_all(session, asset)
    if action.needs_reason:  # the submitting organisation hears why its file was not used (service/notify)
        reason = REASONS.get(reason_code or "")
        publish(session, EventKind.asset_rejected, subject_kind="submission", subject_id=asset.submission_id,
                org_id=asset.org_id, campaign_id=asset.campaign_id,
                data={"title": asset.original_filename, "asset_id": str(asset.id), "action": action.value,
                      "reason_code": reason_code,
                      "reason": "；".join(filter(None, [reason[0] if reason else "", review.reason_text])),
                      "reason_en": "; ".join(filter(None, [reason[1] if reason else "", review.reason_text])),
                      "advice": reason[2] if reason else ""})
    session.flush()
    return review


def edit(
    session: Session,
    *,
    principal: Principal,
    asset_id: uuid.UUID,
    version: int | None,
    caption: str | None = None,
    credit: str | None = None,
    add_tags: list[str] | None = None,
    remove_tags: list[str] | None = None,
) -> Review:
    """Change caption, credit and tags: the one writer of editors' tags (the review page and
    ``/api/v1/assets/{id}/tags`` both come here), so the queue's ``review`` row and ``asset_tag`` never disagree."""
    review = _lock_for_change(session, principal, asset_id, version)
    asset = session.get(Asset, asset_id)
    assert asset is not None
    before = _state(asset, review)
    if caption is not None:
        asset.caption = caption
    if credit is not None:
        asset.credit = credit
    tags = {t["name"]: t for t in review.tags or []}
    for name in remove_tags or []:
        tags.pop(name, None)
    for name in add_tags or []:
        tags[name] = {"name": name, "source": "editor", "score": 1.0}
    review.tags, review.tag_names = list(tags.values()), list(tags)
    rows_changed = _write_asset_tags(session, asset_id, add=add_tags or [], remove=remove_tags or [])
    old, new = _diff(before, _state(asset, review))
    if not new and not rows_changed:
        return review
    review.version += 1
    session.flush()
    sync_review_row(session, asset_id)  # search text follows caption and tags
    audit.record(session, principal=principal, asset_id=asset_id, action="edit", before=old, after=new)
    return review


def _write_asset_tags(session: Session, asset_id: uuid.UUID, *, add: list[str], remove: list[str]) -> bool:
    """Keep ``asset_tag`` (what the asset API shows) in step with the review row: editor tags carry source ``editor``;
    a removed tag goes whatever its source (a machine tag the editor judged wrong). True when a row changed."""
    changed = 0
    if remove:
        changed += _rowcount(session.execute(delete(AssetTag).where(
            AssetTag.asset_id == asset_id, AssetTag.tag_id.in_(select(Tag.id).where(Tag.name.in_(remove))))))
    if add:
        session.execute(insert(Tag).values([{"name": n, "name_en": "", "facet": "custom"} for n in add])
                        .on_conflict_do_nothing(index_elements=["name"]))
        ids = session.scalars(select(Tag.id).where(Tag.name.in_(add))).all()
        changed += _rowcount(session.execute(insert(AssetTag).values([
            {"asset_id": asset_id, "tag_id": tag_id, "source": TagSource.editor, "score": 1.0} for tag_id in ids])
            .on_conflict_do_nothing()))
    return changed > 0


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def bulk_decide(
    session: Session,
    *,
    principal: Principal,
    asset_ids: list[uuid.UUID],
    action: Action,
    reason_code: str | None,
    reason_text: str,
    confirm_without_consent: bool = False,
) -> tuple[list[uuid.UUID], list[dict[str, str]]]:
    """Apply one decision to a selection; items claimed by others (or gone) are skipped and reported, not fatal."""
    done: list[uuid.UUID] = []
    skipped: list[dict[str, str]] = []
    for asset_id in dict.fromkeys(asset_ids):
        try:
            with session.begin_nested():
                decide(session, principal=principal, asset_id=asset_id, action=action, version=None,
                       reason_code=reason_code, reason_text=reason_text, audit_action=f"bulk_{action.value}",
                       confirm_without_consent=confirm_without_consent)
            done.append(asset_id)
        except Problem as problem:
            if problem.code in ("reason_required", "reason_text_required"):
                raise
            skipped.append({"asset_id": str(asset_id), "code": problem.code, "detail": problem.detail})
    return done, skipped


#: How long after a decision its editor may take it back (the queue page offers "undo" for a few seconds).
UNDO_SECONDS = 30


def undo(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Review:
    """Take back this editor's last decision on the asset within ``UNDO_SECONDS``: the earlier state returns and the
    undo is itself an audit event (nothing is erased from the trail)."""
    from service.review.audit import events_of

    review = _lock_for_change(session, principal, asset_id, None)
    events = events_of(session, asset_id)
    last = events[-1] if events else None
    decisions = {a.value for a in Action} | {f"bulk_{a.value}" for a in Action}
    too_late = last is None or (datetime.now(UTC) - last.created_at).total_seconds() > UNDO_SECONDS
    if too_late or last is None or last.action not in decisions or last.actor_id != principal.user_id:
        raise Problem(409, "undo_unavailable", "只能在决定后几秒内撤销自己的最后一个决定",
                      "only your own last decision can be undone, within a few seconds")
    asset = session.get(Asset, asset_id)
    assert asset is not None
    before = _state(asset, review)
    previous = last.before
    status = str(previous.get("review_status", review.review_status))
    asset.review_status = ReviewStatus(status)
    review.review_status = status
    review.reason_code = previous.get("reason_code", review.reason_code)
    review.reason_text = previous.get("reason_text", review.reason_text) or ""
    review.version += 1
    old, new = _diff(before, _state(asset, review))
    audit.record(session, principal=principal, asset_id=asset_id, action="undo", before=old, after=new)
    session.flush()
    return review
