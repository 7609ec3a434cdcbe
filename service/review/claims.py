"""Claims: opening an asset reserves it for one editor for a few minutes, so two editors never decide the same item.

Claims live on the ``review`` row (``claimed_by``, ``claimed_until``) and are taken under ``SELECT … FOR UPDATE``;
an expired claim is simply overwritten by the next editor.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.beijing import BEIJING
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.org import User
from service.db.review import Review
from service.db.review_index import sync_review_row

CLAIM_TTL = timedelta(minutes=5)


def load_review(session: Session, asset_id: uuid.UUID, *, lock: bool = False) -> Review:
    """The asset's review row (created on first use for ready assets); 404 when the asset is not in review."""
    review = session.get(Review, asset_id, with_for_update=lock)
    if review is None:
        review = sync_review_row(session, asset_id)
        if review is not None and lock:
            session.refresh(review, with_for_update=True)
    if review is None:
        raise not_found("asset in review")
    return review


def held_by_other(review: Review, principal: Principal, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    return (review.claimed_by is not None and review.claimed_by != principal.user_id
            and review.claimed_until is not None and review.claimed_until > now)


def claimed_problem(session: Session, review: Review) -> Problem:
    holder = session.scalar(select(User.display_name).where(User.id == review.claimed_by)) or ""
    holder = holder or session.scalar(select(User.username).where(User.id == review.claimed_by)) or "?"
    until = review.claimed_until.astimezone(BEIJING) if review.claimed_until else None
    until_text = f"{until:%H:%M:%S}" if until else "?"
    until_iso = review.claimed_until.isoformat() if review.claimed_until else None
    return Problem(
        409, "claimed_by_other",
        f"该素材正由编辑「{holder}」审核（锁定至北京时间 {until_text}），请先处理其他素材",
        f"this asset is being reviewed by {holder} until {until_text} Beijing time; pick another one",
        extra={"claimed_by": holder, "claimed_until": until_iso},
    )


def claim(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Review:
    """Take (or extend) the claim; 409 ``claimed_by_other`` while another editor's claim is live."""
    review = load_review(session, asset_id, lock=True)
    take(session, review, principal)
    return review


def take(session: Session, review: Review, principal: Principal) -> None:
    now = datetime.now(UTC)
    if held_by_other(review, principal, now):
        raise claimed_problem(session, review)
    review.claimed_by, review.claimed_until = principal.user_id, now + CLAIM_TTL
    session.flush()


def release(session: Session, *, principal: Principal, asset_id: uuid.UUID) -> Review:
    review = load_review(session, asset_id, lock=True)
    if review.claimed_by == principal.user_id:
        review.claimed_by, review.claimed_until = None, None
        session.flush()
    return review
