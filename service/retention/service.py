"""Retention policies and what they would delete.

A campaign's policy keeps featured files and files in a released collection (each configurable) and deletes the
rest ``months`` after the anchor date (the summary deadline, else the week's end). ``candidates`` is the one
definition of "what the policy deletes now"; the dry-run report, the admin page, the CLI and the purge worker
(workers/retention.py, through the same ``purge_asset`` as takedown) all read it. A legal hold on the policy stops
everything; a file under a takedown is left to the takedown path (its own legal hold included).
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, not_, select
from sqlalchemy.orm import Session

from service.core.audit import record
from service.core.beijing import BEIJING
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.asset import Asset, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.portal import Collection, CollectionItem
from service.db.retention import RetentionAnchor, RetentionPolicy
from service.db.takedown import Takedown, TakedownStatus

OPEN_TAKEDOWN = (TakedownStatus.requested, TakedownStatus.taken_down)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter: 31 Aug + 1 → 30 Sep)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cutoff(campaign: Campaign, policy: RetentionPolicy) -> date:
    """The first Beijing day on which the policy deletes."""
    anchor = campaign.week_end
    if policy.anchor == RetentionAnchor.summary_deadline and campaign.summary_deadline is not None:
        anchor = campaign.summary_deadline
    return add_months(anchor, int(policy.months))


def get_campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise not_found("campaign")
    return campaign


def get_policy(session: Session, campaign_id: uuid.UUID) -> RetentionPolicy | None:
    return session.scalar(select(RetentionPolicy).where(RetentionPolicy.campaign_id == campaign_id))


def set_policy(session: Session, *, principal: Principal, campaign_id: uuid.UUID, values: dict[str, Any]
               ) -> RetentionPolicy:
    """Create or change the campaign's policy; audited as ``retention.policy_edit`` (before and after)."""
    get_campaign(session, campaign_id)
    policy = session.scalar(select(RetentionPolicy).where(RetentionPolicy.campaign_id == campaign_id)
                            .with_for_update())
    before = _policy_dict(policy) if policy is not None else None
    if policy is None:
        policy = RetentionPolicy(campaign_id=campaign_id, months=values["months"])
        session.add(policy)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_by = principal.user_id
    session.flush()
    after = _policy_dict(policy)
    if after != before:
        record(session, actor=principal, action="retention.policy_edit", target_kind="campaign",
               target_id=campaign_id, detail={"before": before, "after": after})
    return policy


def _policy_dict(policy: RetentionPolicy) -> dict[str, Any]:
    return {"months": policy.months, "anchor": str(policy.anchor), "keep_featured": policy.keep_featured,
            "keep_released": policy.keep_released, "legal_hold": policy.legal_hold}


def _released() -> Any:
    return exists().where(CollectionItem.asset_id == Asset.id, CollectionItem.collection_id == Collection.id,
                          Collection.release_at.is_not(None), Collection.withdrawn_at.is_(None))


def _in_takedown() -> Any:
    return exists().where(Takedown.asset_id == Asset.id, Takedown.status.in_(OPEN_TAKEDOWN))


def candidates(campaign_id: uuid.UUID, policy: RetentionPolicy) -> Select[Any]:
    """Ids of the campaign's files the policy deletes (ignoring its date and legal hold: the callers check those)."""
    query = select(Asset.id).where(Asset.campaign_id == campaign_id, not_(_in_takedown()))
    if policy.keep_featured:
        query = query.where(Asset.review_status != ReviewStatus.featured)
    if policy.keep_released:
        query = query.where(not_(_released()))
    return query.order_by(Asset.created_at, Asset.id)


@dataclass
class RetentionReport:
    campaign_id: uuid.UUID
    campaign_name: str
    policy: dict[str, Any] | None
    cutoff: date | None
    due: bool  # the cutoff day has come (Beijing time) and there is no legal hold
    legal_hold: bool
    counts: dict[str, int] = field(default_factory=dict)
    bytes_to_delete: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def report(session: Session, *, campaign_id: uuid.UUID, now: datetime, limit: int = 200) -> RetentionReport:
    """The dry run: what the policy would delete now (counts, bytes, the first ``limit`` files) and what it keeps."""
    campaign = get_campaign(session, campaign_id)
    policy = get_policy(session, campaign_id)
    if policy is None:
        return RetentionReport(campaign.id, campaign.name, None, None, False, False)
    day = cutoff(campaign, policy)
    doomed = candidates(campaign.id, policy).subquery()
    total = session.scalar(select(func.count()).select_from(Asset).where(Asset.campaign_id == campaign.id)) or 0
    counted = session.execute(select(func.count(), func.coalesce(func.sum(Asset.size), 0))
                              .where(Asset.id.in_(select(doomed.c.id)))).one()
    in_campaign = Asset.campaign_id == campaign.id
    counts = {
        "total": int(total),
        "to_delete": int(counted[0]),
        "kept_featured": int(session.scalar(select(func.count()).where(
            in_campaign, Asset.review_status == ReviewStatus.featured)) or 0),
        "kept_released": int(session.scalar(select(func.count()).where(
            in_campaign, Asset.review_status != ReviewStatus.featured, _released())) or 0),
        "in_takedown": int(session.scalar(select(func.count()).where(in_campaign, _in_takedown())) or 0),
    }
    rows = session.execute(
        select(Asset.id, Asset.kind, Asset.status, Asset.review_status, Asset.size, Asset.created_at,
               Organization.name)
        .join(Organization, Organization.id == Asset.org_id)
        .where(Asset.id.in_(select(doomed.c.id))).order_by(Asset.created_at, Asset.id).limit(limit)).all()
    items = [{"asset_id": r[0], "kind": r[1], "status": r[2], "review_status": r[3], "size": r[4],
              "uploaded_at": r[5], "org_name": r[6]} for r in rows]
    today = now.astimezone(BEIJING).date()
    return RetentionReport(campaign.id, campaign.name, _policy_dict(policy), day,
                           due=today >= day and not policy.legal_hold, legal_hold=policy.legal_hold,
                           counts=counts, bytes_to_delete=int(counted[1]), items=items)


def check_runnable(session: Session, *, campaign_id: uuid.UUID, now: datetime) -> RetentionReport:
    """The report, or 409 when nothing may be deleted yet (no policy, a legal hold, the cutoff not reached)."""
    result = report(session, campaign_id=campaign_id, now=now, limit=0)
    if result.policy is None:
        raise Problem(409, "no_retention_policy", "该活动周没有设置保存期限策略",
                      "this campaign has no retention policy")
    if result.legal_hold:
        raise Problem(409, "legal_hold", "该活动周处于法律保全状态，不删除任何素材",
                      "this campaign is under legal hold: nothing is deleted")
    if not result.due:
        raise Problem(409, "retention_not_due", f"保存期限到 {result.cutoff} 才届满",
                      f"the retention period ends on {result.cutoff}")
    return result


def request_run(session: Session, *, principal: Principal | None, campaign_id: uuid.UUID, now: datetime
                ) -> RetentionReport:
    """Check the run may happen, audit the request (``retention.run``) and return the report it acts on; the caller
    starts the purge (the worker task, or in-process from the CLI)."""
    result = check_runnable(session, campaign_id=campaign_id, now=now)
    record(session, actor=principal, action="retention.run", target_kind="campaign", target_id=campaign_id,
           detail={"stage": "requested", "to_delete": result.counts.get("to_delete", 0),
                   "cutoff": str(result.cutoff)})
    return result


def due_campaigns(session: Session, now: datetime) -> list[uuid.UUID]:
    """Campaigns whose policy's cutoff has come and that have no legal hold (the daily sweep's work list)."""
    today = now.astimezone(BEIJING).date()
    rows = session.execute(select(Campaign, RetentionPolicy).join(RetentionPolicy,
                                                                  and_(RetentionPolicy.campaign_id == Campaign.id,
                                                                       RetentionPolicy.legal_hold.is_(False)))).all()
    return [campaign.id for campaign, policy in rows if today >= cutoff(campaign, policy)]
