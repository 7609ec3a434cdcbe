"""/api/v1/hierarchy: the organisation tree (admins), a province's pre-review of its members' material, its
dashboard and who has not reported (with CSV / XLSX export)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.core import orgscope
from service.core.clientaddr import client_address
from service.core.csvfile import XLSX, Format
from service.core.deps import AdminDep, PrincipalDep, SessionDep
from service.core.errors import Problem, forbidden, not_found
from service.core.security import Principal
from service.core.storage import content_disposition
from service.db.org import Organization, Role
from service.hierarchy import overview, prereview, tree
from service.hierarchy.schemas import (
    BulkForwardIn,
    BulkForwardOut,
    DashboardOut,
    DecisionOut,
    MemberCountsOut,
    MemberReportingOut,
    NotReportedOut,
    OrgOut,
    ParentIn,
    QueueItemOut,
    QueuePage,
    ReasonIn,
    Refused,
)
from service.reports import export

router = APIRouter(prefix="/api/v1/hierarchy", tags=["hierarchy"])

def org_out(org: Organization) -> OrgOut:
    return OrgOut(id=org.id, name=org.name, kind=org.kind.value, region_code=org.region_code, parent_id=org.parent_id)


@router.put("/orgs/{org_id}/parent", response_model=OrgOut)
def set_parent(org_id: uuid.UUID, body: ParentIn, principal: AdminDep, session: SessionDep,
               request: Request) -> OrgOut:
    """Make ``parent_id`` the organisation's parent (null: none). 422 ``org_parent_cycle``, ``org_parent_self``,
    ``org_parent_kind`` (e.g. an outlet under a school), ``org_tree_too_deep``."""
    org = tree.set_parent(session, org_id=org_id, parent_id=body.parent_id, actor=principal,
                          ip=client_address(request))
    return org_out(org)


def _visible_org(session: Session, principal: Principal, org_id: uuid.UUID) -> Organization:
    org = session.get(Organization, org_id)
    if principal.role == Role.outlet:
        raise forbidden()
    if org is None or not orgscope.can_see_org(session, principal, org_id):
        raise not_found("organisation")
    return org


@router.get("/orgs/{org_id}/members", response_model=list[OrgOut])
def list_members(org_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> list[OrgOut]:
    """The organisations below ``org_id`` (any depth): staff for any, others for their own or one below it."""
    _visible_org(session, principal, org_id)
    return [org_out(m) for m in tree.members(session, org_id)]


@router.get("/prereview", response_model=QueuePage)
def prereview_queue(
    principal: PrincipalDep, session: SessionDep, campaign_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None, kind: str | None = None, state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> QueuePage:
    """The caller's members' submissions and filed reports (empty for an organisation without members)."""
    if principal.role not in (Role.submitter, Role.admin, Role.editor):
        raise forbidden()
    items, total = prereview.queue(session, principal=principal, campaign_id=campaign_id, org_id=org_id, kind=kind,
                                   state=state, limit=limit, offset=offset)
    return QueuePage(items=[QueueItemOut(**vars(i)) for i in items], total=total)


@router.post("/prereview/submissions/{submission_id}/forward", response_model=DecisionOut)
def forward_submission(submission_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                       request: Request) -> DecisionOut:
    row = prereview.forward_submission(session, principal=principal, submission_id=submission_id,
                                       ip=client_address(request))
    return DecisionOut(id=submission_id, kind="submission", state=row.state.value, reason=row.reason)


@router.post("/prereview/submissions/{submission_id}/return", response_model=DecisionOut)
def return_submission(submission_id: uuid.UUID, body: ReasonIn, principal: PrincipalDep, session: SessionDep,
                      request: Request) -> DecisionOut:
    row = prereview.return_submission(session, principal=principal, submission_id=submission_id, reason=body.reason,
                                      ip=client_address(request))
    return DecisionOut(id=submission_id, kind="submission", state=row.state.value, reason=row.reason)


@router.post("/prereview/reports/{report_id}/forward", response_model=DecisionOut)
def forward_report(report_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                   request: Request) -> DecisionOut:
    report = prereview.forward_report(session, principal=principal, report_id=report_id, ip=client_address(request))
    return DecisionOut(id=report.id, kind=report.kind.value, state=prereview.REPORT_STATE[report.status].value,
                       reason=report.return_reason)


@router.post("/prereview/reports/{report_id}/return", response_model=DecisionOut)
def return_report(report_id: uuid.UUID, body: ReasonIn, principal: PrincipalDep, session: SessionDep,
                  request: Request) -> DecisionOut:
    report = prereview.return_report(session, principal=principal, report_id=report_id, reason=body.reason,
                                     ip=client_address(request))
    return DecisionOut(id=report.id, kind=report.kind.value, state=prereview.REPORT_STATE[report.status].value,
                       reason=report.return_reason)


@router.post("/prereview/forward", response_model=BulkForwardOut)
def bulk_forward(body: BulkForwardIn, principal: PrincipalDep, session: SessionDep,
                 request: Request) -> BulkForwardOut:
    """Forward many; each id is decided alone and the refused ones come back with their problem code."""
    if principal.role == Role.outlet:
        raise forbidden()
    result = prereview.bulk_forward(session, principal=principal, submission_ids=body.submission_ids,
                                    report_ids=body.report_ids, ip=client_address(request))
    return BulkForwardOut(forwarded=result.forwarded, unchanged=result.unchanged,
                          refused=[Refused(id=i, code=c) for i, c in result.refused])


@router.get("/dashboard", response_model=DashboardOut)
def dashboard(principal: PrincipalDep, session: SessionDep, campaign_id: uuid.UUID | None = None,
              org_id: uuid.UUID | None = None) -> DashboardOut:
    """Members' submissions, files and reports by state, what waits for the caller's pre-review, overdue members."""
    board = overview.dashboard(session, principal=principal, campaign_id=campaign_id, parent_id=org_id)
    return DashboardOut(
        campaign_id=board.campaign.id, waiting_submissions=board.waiting_submissions,
        waiting_reports=board.waiting_reports, overdue=[m.org.id for m in board.overdue],
        members=[MemberCountsOut(org_id=m.org.id, org_name=m.org.name, submissions=m.submissions, assets=m.assets,
                                 reports=m.reports, overdue=m.overdue) for m in board.members])


@router.get("/not-reported", response_model=NotReportedOut)
def not_reported(principal: PrincipalDep, session: SessionDep, campaign_id: uuid.UUID | None = None,
                 org_id: uuid.UUID | None = None, missing: str | None = None, format: Format = Format.json,
                 lang: str = "zh") -> Response | NotReportedOut:
    """Members with no plan, no media (no ready file), no case or no summary; ``missing`` narrows to one of them.
    ``format=csv`` / ``xlsx`` exports the table (zh-CN headers, ``lang=en`` for English)."""
    if missing is not None and missing not in overview.ITEMS:
        raise Problem(422, "bad_filter", "未知的报送事项", f"unknown item {missing!r}; use {', '.join(overview.ITEMS)}")
    campaign, rows = overview.not_reported(session, principal=principal, campaign_id=campaign_id, parent_id=org_id,
                                           missing=missing)
    if format == Format.json:
        return NotReportedOut(campaign_id=campaign.id, items=[
            MemberReportingOut(org_id=r.org.id, org_name=r.org.name, parent_name=r.parent_name,
                               region_code=r.org.region_code, reported=r.reported, missing=r.missing) for r in rows])
    headers, body = overview.export_rows(rows, lang)
    name = "未报送单位" if lang.startswith("zh") else "not-reported"
    if format == Format.csv:
        data, mime = export.to_csv(headers, body), "text/csv; charset=utf-8"
    else:
        data, mime = export.to_xlsx(name, headers, body), XLSX
    return Response(data, media_type=mime,
                    headers={"Content-Disposition": content_disposition(f"{name}.{format.value}")})
