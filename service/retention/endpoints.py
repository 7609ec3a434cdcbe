"""/api/v1/campaigns/{id}/retention: admins set the policy, read the dry run and start the purge."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from service.core.deps import AdminDep, SessionDep
from service.core.errors import not_found
from service.core.tasks import enqueue
from service.retention import service
from service.retention.schemas import RetentionPolicyIn, RetentionPolicyOut, RetentionReportOut, RetentionRunOut

router = APIRouter(prefix="/api/v1", tags=["retention"])


def policy_out(session: Session, campaign_id: uuid.UUID) -> RetentionPolicyOut:
    policy = service.get_policy(session, campaign_id)
    if policy is None:
        raise not_found("retention policy")
    out = RetentionPolicyOut.model_validate(policy)
    out.cutoff = service.cutoff(service.get_campaign(session, campaign_id), policy)
    return out


@router.get("/campaigns/{campaign_id}/retention", response_model=RetentionPolicyOut)
def get_policy(campaign_id: uuid.UUID, principal: AdminDep, session: SessionDep) -> RetentionPolicyOut:
    service.get_campaign(session, campaign_id)
    return policy_out(session, campaign_id)


@router.put("/campaigns/{campaign_id}/retention", response_model=RetentionPolicyOut)
def set_policy(campaign_id: uuid.UUID, body: RetentionPolicyIn, principal: AdminDep,
               session: SessionDep) -> RetentionPolicyOut:
    """Create or change the policy (audited). ``legal_hold`` stops every deletion for the campaign."""
    service.set_policy(session, principal=principal, campaign_id=campaign_id, values=body.model_dump())
    return policy_out(session, campaign_id)


@router.get("/campaigns/{campaign_id}/retention/dry-run", response_model=RetentionReportOut)
def dry_run(campaign_id: uuid.UUID, principal: AdminDep, session: SessionDep,
            limit: Annotated[int, Query(ge=0, le=5000)] = 200) -> RetentionReportOut:
    """What the policy would delete now: counts, bytes and the first ``limit`` files; deletes nothing."""
    report = service.report(session, campaign_id=campaign_id, now=datetime.now(UTC), limit=limit)
    return RetentionReportOut.model_validate(asdict(report))


@router.post("/campaigns/{campaign_id}/retention/run", status_code=202, response_model=RetentionRunOut)
def run(campaign_id: uuid.UUID, principal: AdminDep, session: SessionDep) -> RetentionRunOut:
    """Start the purge (a worker, through the same purge path as takedown); 409 before the cutoff or under a
    legal hold."""
    report = service.request_run(session, principal=principal, campaign_id=campaign_id, now=datetime.now(UTC))
    enqueue(session, "retention.run_campaign", str(campaign_id), str(principal.user_id), queue="default")
    return RetentionRunOut(status="queued", campaign_id=campaign_id, to_delete=report.counts.get("to_delete", 0))
