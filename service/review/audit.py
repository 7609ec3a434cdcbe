"""The audit trail: every decision and edit is a ``review_event`` (who, when, what, before/after)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.security import Principal
from service.db.review import ReviewEvent


def record(
    session: Session, *, principal: Principal, asset_id: uuid.UUID, action: str, before: dict[str, Any],
    after: dict[str, Any],
) -> ReviewEvent:
    event = ReviewEvent(asset_id=asset_id, actor_id=principal.user_id, actor_name=principal.username, action=action,
                        before=before, after=after)
    session.add(event)
    session.flush()
    return event


def events_of(session: Session, asset_id: uuid.UUID) -> list[ReviewEvent]:
    return list(session.scalars(
        select(ReviewEvent).where(ReviewEvent.asset_id == asset_id).order_by(ReviewEvent.created_at, ReviewEvent.id)
    ).all())
