"""/api/v1/reports: plans, typical cases, manuscripts and summaries; their media links, filing and the desk's
decisions; /api/v1/reports/deadlines: an organisation's deadline status."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from sqlalchemy.orm import Session

from service.core import orgscope
from service.core.beijing import beijing_today
from service.core.clientaddr import client_address
from service.core.deps import CommittedSessionDep, PrincipalDep
from service.core.errors import forbidden, not_found
from service.db.campaign import Campaign
from service.db.org import Role
from service.db.reporting import Report, ReportKind, ReportStatus
from service.documents.service import forget_objects
from service.reporting import service
from service.reporting.deadlines import deadline_statuses
from service.reporting.markup import render
from service.reporting.schemas import (
    AssetLinks,
    DeadlineOut,
    DeadlinesOut,
    Decision,
    DocumentOut,
    LinkedAssetOut,
    ReportCreate,
    ReportOut,
    ReportPage,
    ReportUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["reports"])


def to_out(session: Session, report: Report) -> ReportOut:
    assets = [
        LinkedAssetOut(
            asset_id=a.id,
            kind=a.kind.value if a.kind else None,
            status=a.status.value,
            filename=a.original_filename,
            position=link.position,
        )
        for link, a in service.linked_assets(session, report.id)
    ]
    docs = [
        DocumentOut(
            id=d.id,
            filename=d.filename,
            doc_type=d.doc_type.value if d.doc_type else None,
            status=d.status.value,
            pages=d.pages,
            reject_code=d.reject_code,
        )
        for d in service.documents(session, report.id)
    ]
    fields = {
        name: getattr(report, name)
        for name in ReportOut.model_fields
        if name not in ("org_name", "body_html", "assets", "documents")
    }
    return ReportOut(
        **fields, org_name=report.org.name, body_html=str(render(report.body)), assets=assets, documents=docs
    )


@router.get("/reports/deadlines", response_model=DeadlinesOut)
def deadlines(
    principal: PrincipalDep,
    session: CommittedSessionDep,
    campaign_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
) -> DeadlinesOut:
    """Plan, material, uploads and summary status of the caller's organisation (or one it may see)."""
    if principal.role == Role.outlet:
        raise forbidden()
    org = org_id or principal.org_id
    if not orgscope.can_see_org(session, principal, org):
        raise not_found("organisation")
    campaign = session.get(Campaign, campaign_id) if campaign_id else service.current_campaign(session)
    if campaign is None:
        raise not_found("campaign")
    items = [
        DeadlineOut(
            item=d.item, due=d.due, state=d.state, days_left=d.days_left, filed_on=d.filed_on, report_id=d.report_id
        )
        for d in deadline_statuses(session, org_id=org, campaign=campaign)
    ]
    return DeadlinesOut(campaign_id=campaign.id, org_id=org, today=beijing_today(), items=items)


@router.post("/reports", status_code=201, response_model=ReportOut)
def create_report(
    body: ReportCreate, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    report = service.create_report(session, principal=principal, data=body, ip=client_address(request))
    return to_out(session, report)


@router.get("/reports", response_model=ReportPage)
def list_reports(
    principal: PrincipalDep,
    session: CommittedSessionDep,
    campaign_id: uuid.UUID | None = None,
    kind: Annotated[list[ReportKind] | None, Query(max_length=4)] = None,
    status: Annotated[list[ReportStatus] | None, Query(max_length=5)] = None,
    org_id: uuid.UUID | None = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{2}([0-9]{2}){0,2}$")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    featured: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ReportPage:
    rows, total = service.list_reports(
        session,
        principal=principal,
        campaign_id=campaign_id,
        kinds=kind,
        statuses=status,
        org_id=org_id,
        region=region,
        q=q,
        featured=featured,
        limit=limit,
        offset=offset,
    )
    return ReportPage(items=[to_out(session, r) for r in rows], total=total)


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: uuid.UUID, principal: PrincipalDep, session: CommittedSessionDep) -> ReportOut:
    return to_out(session, service.get_report(session, principal=principal, report_id=report_id))


@router.patch("/reports/{report_id}", response_model=ReportOut)
def update_report(
    report_id: uuid.UUID, body: ReportUpdate, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    report = service.update_report(
        session, principal=principal, report_id=report_id, data=body, ip=client_address(request)
    )
    return to_out(session, report)


@router.delete("/reports/{report_id}", status_code=204)
def delete_report(
    report_id: uuid.UUID, request: Request, principal: PrincipalDep, session: CommittedSessionDep,
    background: BackgroundTasks,
) -> Response:
    keys = service.delete_report(session, principal=principal, report_id=report_id, ip=client_address(request))
    background.add_task(forget_objects, keys)  # after the commit: the objects go once no row names them
    return Response(status_code=204)


@router.post("/reports/{report_id}/assets", response_model=ReportOut)
def link_assets(
    report_id: uuid.UUID, body: AssetLinks, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    service.link_assets(
        session, principal=principal, report_id=report_id, asset_ids=body.asset_ids, ip=client_address(request)
    )
    return to_out(session, service.get_report(session, principal=principal, report_id=report_id))


@router.delete("/reports/{report_id}/assets/{asset_id}", response_model=ReportOut)
def unlink_asset(
    report_id: uuid.UUID, asset_id: uuid.UUID, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    service.unlink_asset(
        session, principal=principal, report_id=report_id, asset_id=asset_id, ip=client_address(request)
    )
    return to_out(session, service.get_report(session, principal=principal, report_id=report_id))


@router.post("/reports/{report_id}/file", response_model=ReportOut)
def file_report(
    report_id: uuid.UUID, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    report = service.file_report(session, principal=principal, report_id=report_id, ip=client_address(request))
    return to_out(session, report)


@router.post("/reports/{report_id}/decision", response_model=ReportOut)
def decide(
    report_id: uuid.UUID, body: Decision, request: Request, principal: PrincipalDep, session: CommittedSessionDep
) -> ReportOut:
    """The desk: ``accept``, ``return`` (``reason`` required), ``feature`` / ``unfeature``."""
    report = service.decide(
        session,
        principal=principal,
        report_id=report_id,
        action=body.action,
        reason=body.reason,
        ip=client_address(request),
    )
    return to_out(session, report)
