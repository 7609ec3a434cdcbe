"""Campaign retention runs: the policy's files go through the one purge path (``workers.purge.purge_asset``).

Each purged file leaves a ``takedown`` row with ``purge_kind="retention"`` (ids, reason, counts; no content) and
each run one ``retention.run`` audit row with its counts. Files are purged one per transaction, so a run that
stops half way is simply run again (idempotent: purged files are no longer candidates).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.audit import record
from service.core.db import new_session
from service.core.errors import Problem
from service.core.security import Principal, principal_for
from service.db.asset import Asset
from service.db.org import User
from service.db.retention import RetentionPolicy
from service.db.takedown import Takedown, TakedownStatus
from service.retention.service import candidates, check_runnable, cutoff, due_campaigns, get_campaign
from workers.celery_app import app
from workers.purge import purge_asset

log = logging.getLogger(__name__)

BATCH = 200
#: Files one task purges before it hands the rest to a fresh task (keeps each under its time limit).
PER_TASK = 2000


def _actor(session: Session, actor_id: str | None) -> Principal | None:
    user = session.get(User, uuid.UUID(actor_id)) if actor_id else None
    return principal_for(user) if user is not None else None


def run_retention(campaign_id: uuid.UUID, *, actor_id: str | None = None, now: datetime | None = None,
                  limit: int | None = None) -> dict[str, Any]:
    """Purge what the campaign's policy deletes now; counts of what went. Refuses (Problem 409) when not due or held."""
    now = now or datetime.now(UTC)
    purged = objects = 0
    with new_session() as session:
        check_runnable(session, campaign_id=campaign_id, now=now)
        campaign = get_campaign(session, campaign_id)
        policy = session.scalar(select(RetentionPolicy).where(RetentionPolicy.campaign_id == campaign_id))
        assert policy is not None  # check_runnable refuses a campaign without one
        reason = f"保存期限届满（{cutoff(campaign, policy)}）/ retention period ended"
        actor = _actor(session, actor_id)
        session.commit()
        while limit is None or purged < limit:
            size = BATCH if limit is None else min(BATCH, limit - purged)
            batch: list[uuid.UUID] = list(session.scalars(candidates(campaign_id, policy).limit(size)))
            if not batch:
                break
            for asset_id in batch:
                counts = _purge_one(session, asset_id, campaign_id, reason, actor, now)
                session.commit()
                if counts is not None:
                    purged += 1
                    objects += int(counts.get("objects", 0))
        summary = {"stage": "done", "purged": purged, "objects": objects}
        record(session, actor=actor, action="retention.run", target_kind="campaign", target_id=campaign_id,
               detail=summary)
        session.commit()
    log.info("retention for campaign %s purged %d files", campaign_id, purged)
    return summary


def _purge_one(session: Session, asset_id: uuid.UUID, campaign_id: uuid.UUID, reason: str,
               actor: Principal | None, now: datetime) -> dict[str, Any] | None:
    """Purge one file and leave its record; None when another run purged it first."""
    asset = session.get(Asset, asset_id, with_for_update=True)
    if asset is None:
        return None
    org_id = asset.org_id
    counts = purge_asset(session, asset_id)
    session.add(Takedown(asset_id=asset_id, campaign_id=campaign_id, org_id=org_id, status=TakedownStatus.purged,
                         reason=reason, decided_by=actor.user_id if actor else None, taken_down_at=now,
                         purge_after=now, purged_at=datetime.now(UTC), purge_kind="retention", legal_hold=False,
                         summary=counts))
    session.flush()
    return counts


@app.task(name="retention.run_campaign", queue="default")  # type: ignore[untyped-decorator]
def run_campaign(campaign_id: str, actor_id: str | None = None) -> dict[str, Any]:
    """Started by an admin (API, page) after the dry run, or by the daily sweep; continues in a new task after
    ``PER_TASK`` files."""
    try:
        summary = run_retention(uuid.UUID(campaign_id), actor_id=actor_id, limit=PER_TASK)
    except Problem as problem:  # a legal hold set or the policy changed since the request: nothing to do
        log.warning("retention for campaign %s refused: %s", campaign_id, problem)
        return {"stage": "refused", "code": problem.code}
    if summary["purged"] >= PER_TASK:
        run_campaign.apply_async((campaign_id, actor_id), queue="default")
    return summary


@app.task(name="retention.sweep", queue="default")  # type: ignore[untyped-decorator]
def sweep() -> int:
    """Beat (daily): start a run for every policy whose cutoff has come and that has no legal hold; returns how
    many."""
    with new_session() as session:
        due = due_campaigns(session, datetime.now(UTC))
    for campaign_id in due:
        run_campaign.apply_async((str(campaign_id), None), queue="default")
    return len(due)
