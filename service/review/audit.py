"""The asset's review history: every decision and edit is a ``review_event`` (who, when, what, before/after).

``review_event`` is the history an editor reads on the asset page; it holds captions and tags before and after, so
it goes with the asset when a takedown purges it. Each event is also written to THE audit log
(``service.core.audit``) as ``review.<action>``, with the names of the fields that changed and only the values that
are states or ids (decision, reason code, cluster, replacement), never text: that row outlives any purge.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import audit as audit_log
from service.core.security import Principal
from service.db.asset import Asset
from service.db.review import ReviewEvent

#: Fields whose values are states or ids (no content), so the audit log may keep them.
STATE_FIELDS = frozenset({"review_status", "reason_code", "cluster_id", "replaced_by", "replaces", "version"})


def audit_detail(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Which fields changed, and before/after values only for state fields (no captions, tags or notes)."""
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    detail: dict[str, Any] = {"fields": changed}
    for key in changed:
        if key in STATE_FIELDS:
            detail[key] = {"from": _plain(before.get(key)), "to": _plain(after.get(key))}
    return detail


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def record(
    session: Session, *, principal: Principal, asset_id: uuid.UUID, action: str, before: dict[str, Any],
    after: dict[str, Any],
) -> ReviewEvent:
    event = ReviewEvent(asset_id=asset_id, actor_id=principal.user_id, actor_name=principal.username, action=action,
                        before=before, after=after)
    session.add(event)
    org_id = session.scalar(select(Asset.org_id).where(Asset.id == asset_id))
    audit_log.record(session, actor=principal, action=f"review.{action}", target_kind="asset", target_id=asset_id,
                     org_id=org_id, detail=audit_detail(before, after))
    return event


def events_of(session: Session, asset_id: uuid.UUID) -> list[ReviewEvent]:
    return list(session.scalars(
        select(ReviewEvent).where(ReviewEvent.asset_id == asset_id).order_by(ReviewEvent.created_at, ReviewEvent.id)
    ).all())
