"""/api/v1/campaigns: campaigns, their taxonomy and the ministry's week report.

Everyone logged in may read the campaigns and their taxonomy (forms and clients need them); only admins create and
edit; editors and admins generate and download week reports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns import service
from service.campaigns.schemas import (
    CampaignCreate,
    CampaignOut,
    CampaignUpdate,
    TaxonomyIn,
    WeekReportOut,
)
from service.core import audit
from service.core.deps import AdminDep, PrincipalDep, SessionDep, StaffDep
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.core.storage import content_disposition, get_storage
from service.core.tasks import enqueue
from service.db.campaign import WeekReport, WeekReportStatus

router = APIRouter(prefix="/api/v1", tags=["campaigns"])
DOWNLOADS = {"docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx_key"),
             "pdf": ("application/pdf", "pdf_key")}


@router.get("/campaigns", response_model=list[CampaignOut])
def list_campaigns(principal: PrincipalDep, session: SessionDep) -> list[CampaignOut]:
    return [CampaignOut.model_validate(c) for c in service.list_campaigns(session)]


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignCreate, principal: AdminDep, session: SessionDep) -> CampaignOut:
    limits = body.model_dump(include=set(service.LIMITS), exclude_none=True)
    campaign = service.create_campaign(
        session, year=body.year, name=body.name, theme=body.theme, week_start=body.week_start,
        week_end=body.week_end, plan_deadline=body.plan_deadline, summary_deadline=body.summary_deadline,
        upload_opens_at=body.upload_opens_at, upload_closes_at=body.upload_closes_at, limits=limits,
        copy_from=body.copy_taxonomy_from, actor=principal)
    return CampaignOut.model_validate(campaign)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> CampaignOut:
    return CampaignOut.model_validate(service.get_campaign(session, campaign_id))


@router.patch("/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(campaign_id: uuid.UUID, body: CampaignUpdate, principal: AdminDep,
                    session: SessionDep) -> CampaignOut:
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "year", "week_start", "week_end", "upload_opens_at", "upload_closes_at", *service.LIMITS):
        if field in changes and changes[field] is None:
            raise Problem(422, "campaign_field_required", f"字段 {field} 不能为空", f"{field} cannot be empty")
    campaign = service.update_campaign(session, campaign_id=campaign_id, changes=changes, actor=principal)
    return CampaignOut.model_validate(campaign)


@router.get("/campaigns/{campaign_id}/taxonomy")
def get_taxonomy(campaign_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """Facets with their tags (zh/en names, synonyms, visual prompts), theme tags and week keywords."""
    return service.taxonomy_document(session, campaign_id)


@router.put("/campaigns/{campaign_id}/taxonomy")
def put_taxonomy(campaign_id: uuid.UUID, body: TaxonomyIn, principal: AdminDep,
                 session: SessionDep) -> dict[str, Any]:
    """Replace the campaign's whole taxonomy (files already tagged keep their tags until tagged again)."""
    return service.replace_taxonomy(session, campaign_id=campaign_id, document=body.document(), actor=principal)


# --- the ministry's week report -----------------------------------------------------------------------------------


def report_out(report: WeekReport) -> WeekReportOut:
    out = WeekReportOut.model_validate(report)
    if report.status == WeekReportStatus.ready:
        out.docx_url = f"/api/v1/week-reports/{report.id}/docx"
        out.pdf_url = f"/api/v1/week-reports/{report.id}/pdf"
    return out


def request_week_report(session: Session, principal: Principal, campaign_id: uuid.UUID,
                        ip: str | None) -> WeekReport:
    """A pending report row, audited, with its task sent after the commit (API and dashboard button)."""
    service.get_campaign(session, campaign_id)
    report = WeekReport(campaign_id=campaign_id, requested_by=principal.user_id)
    session.add(report)
    session.flush()
    audit.record(session, actor=principal, action="week_report.request", target_kind="week_report",
                 target_id=report.id, detail={"campaign_id": str(campaign_id)}, ip=ip)
    enqueue(session, "campaigns.week_report", str(report.id), queue="default")
    return report


@router.post("/campaigns/{campaign_id}/week-reports", response_model=WeekReportOut, status_code=202)
def create_week_report(campaign_id: uuid.UUID, request: Request, principal: StaffDep,
                       session: SessionDep) -> WeekReportOut:
    """Start generating the week report (DOCX and PDF with charts) in the background; poll the report."""
    client = request.client.host if request.client else None
    return report_out(request_week_report(session, principal, campaign_id, client))


@router.get("/campaigns/{campaign_id}/week-reports", response_model=list[WeekReportOut])
def list_week_reports(campaign_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> list[WeekReportOut]:
    service.get_campaign(session, campaign_id)
    rows = session.scalars(select(WeekReport).where(WeekReport.campaign_id == campaign_id)
                           .order_by(WeekReport.created_at.desc()).limit(20)).all()
    return [report_out(r) for r in rows]


@router.get("/week-reports/{report_id}", response_model=WeekReportOut)
def get_week_report(report_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> WeekReportOut:
    report = session.get(WeekReport, report_id)
    if report is None:
        raise not_found("week report")
    return report_out(report)


@router.get("/week-reports/{report_id}/{fmt}", response_class=Response)
def download_week_report(report_id: uuid.UUID, fmt: str, principal: StaffDep, session: SessionDep) -> Response:
    report = session.get(WeekReport, report_id)
    if report is None or fmt not in DOWNLOADS:
        raise not_found("week report")
    mime, attr = DOWNLOADS[fmt]
    key = getattr(report, attr)
    if report.status != WeekReportStatus.ready or not key:
        raise Problem(409, "week_report_not_ready", "报告尚未生成完成，请稍后再试",
                      "the report is not ready yet; try again shortly")
    name = f"{service.get_campaign(session, report.campaign_id).name}-活动周工作报告.{fmt}"
    return Response(get_storage().get_bytes(key), media_type=mime,
                    headers={"Content-Disposition": content_disposition(name)})
