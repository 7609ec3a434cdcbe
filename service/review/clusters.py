"""Duplicate clusters in review: list members, and "keep the best, reject the rest" in one step.

INTERFACE NOTE (merge): the cluster tables (``dup_cluster``, issue 4) are built on branch ``screening``. Until they
land, membership is read from ``review.cluster_id`` / ``review.cluster_best``, which the dedupe step publishes via
``service.db.review_index.record_screening(cluster_id=…, cluster_best=…)``. Only ``members()`` needs to change if
the lead prefers reading ``dup_cluster`` directly.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.review import Review
from service.review import claims
from service.review.reasons import Action
from service.review.service import decide


def members(session: Session, cluster_id: uuid.UUID, *, lock: bool = False) -> list[Review]:
    query = select(Review).where(Review.cluster_id == cluster_id).order_by(Review.asset_id)
    if lock:
        query = query.with_for_update()  # ordered by id: two resolvers lock in the same order, no deadlock
    return list(session.scalars(query).all())


def best_of(reviews: list[Review]) -> Review:
    flagged = [r for r in reviews if r.cluster_best]
    if flagged:
        return flagged[0]
    return max(reviews, key=lambda r: (r.quality_score, -r.uploaded_at.timestamp()))


def resolve(
    session: Session, *, principal: Principal, cluster_id: uuid.UUID, keep: uuid.UUID | None
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Keep one member (default: the suggested best) and reject every other member as a duplicate.

    All or nothing: when any member is claimed by another editor, nothing changes (409).
    """
    group = members(session, cluster_id, lock=True)
    if not group:
        raise not_found("duplicate cluster")
    kept = best_of(group) if keep is None else next((r for r in group if r.asset_id == keep), None)
    if kept is None:
        raise Problem(422, "not_in_cluster", "所选素材不在该重复组中", "the asset to keep is not in this cluster")
    for review in group:
        if claims.held_by_other(review, principal):
            raise claims.claimed_problem(session, review)
    rejected: list[uuid.UUID] = []
    for review in group:
        if review.asset_id == kept.asset_id or review.review_status == "rejected":
            continue
        decide(session, principal=principal, asset_id=review.asset_id, action=Action.reject, version=None,
               reason_code="duplicate", reason_text=f"保留素材 / kept asset: {kept.asset_id}",
               audit_action="cluster_reject")
        rejected.append(review.asset_id)
    return kept.asset_id, rejected
