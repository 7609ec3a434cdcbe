"""The editors' report desk (材料审核): the queue of filed and forwarded reports, a case or manuscript next to its
media, accept / return with a reason / feature. Every form calls the same service as the JSON API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns.service import CAMPAIGN_COOKIE
from service.core.deps import CommittedSessionDep
from service.core.errors import Problem
from service.core.security import Principal
from service.core.text import clean_text
from service.db.org import Organization
from service.db.reporting import TRANSITIONS, Report, ReportAsset, ReportKind, ReportStatus
from service.reporting import service
from service.reporting.page_context import detail_context, ids_of, ip_of, message_of, problem_text
from service.reporting.vocabulary import FEATURABLE
from service.review.regions import PROVINCES
from service.web import i18n
from service.web.deps import EditorPage
from service.web.templating import render

router = APIRouter(include_in_schema=False)


def _enum_list(values: list[str], enum: Any) -> list[Any]:
    out = []
    for value in values:
        try:
            out.append(enum(value))
        except ValueError:
            continue
    return out


@router.get("/desk/reports")
def desk_queue(request: Request, principal: EditorPage, session: CommittedSessionDep) -> Response:
    params = request.query_params
    kinds = _enum_list(params.getlist("kind"), ReportKind)
    statuses = _enum_list(params.getlist("status"), ReportStatus)
    if "status" not in params:
        statuses = [ReportStatus.filed, ReportStatus.forwarded]
    region = params.get("region", "")
    region = region if region in PROVINCES else ""
    org_ids = ids_of([params.get("org_id")]) if params.get("org_id") else []
    q = clean_text(params.get("q", ""), multiline=False)[:100]
    campaign = service.current_campaign(session, request.cookies.get(CAMPAIGN_COOKIE))
    rows, total = service.list_reports(
        session,
        principal=principal,
        campaign_id=campaign.id if campaign else None,
        kinds=kinds,
        statuses=statuses,
        org_id=org_ids[0] if org_ids else None,
        region=region or None,
        q=q or None,
        limit=200,
    )
    orgs = session.execute(
        select(Organization.id, Organization.name)
        .where(Organization.id.in_(select(Report.org_id).where(Report.status != ReportStatus.draft)))
        .order_by(Organization.name)
    ).all()
    counts = dict(
        session.execute(
            select(ReportAsset.report_id, func.count())
            .where(ReportAsset.report_id.in_([r.id for r in rows]))
            .group_by(ReportAsset.report_id)
        )
        .tuples()
        .all()
    )
    return render(
        request,
        "reporting/desk_queue.html",
        rows=rows,
        total=total,
        counts=counts,
        campaign=campaign,
        kinds=list(ReportKind),
        statuses=[s for s in ReportStatus if s != ReportStatus.draft],
        chosen={
            "kind": [k.value for k in kinds],
            "status": [s.value for s in statuses],
            "region": region,
            "org_id": str(org_ids[0]) if org_ids else "",
            "q": q,
        },
        provinces=sorted(PROVINCES.items()),
        orgs=orgs,
    )


def _desk_detail(
    request: Request,
    session: Session,
    principal: Principal,
    report_id: uuid.UUID,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    report = service.get_report(session, principal=principal, report_id=report_id)
    return render(
        request,
        "reporting/desk_detail.html",
        status_code=status_code,
        msg=message_of(request),
        error=error,
        featurable=report.kind in FEATURABLE,
        can_decide=ReportStatus.accepted in TRANSITIONS[report.status],
        **detail_context(request, session, principal, report),
    )


@router.get("/desk/reports/{report_id}")
def desk_detail(
    report_id: uuid.UUID, request: Request, principal: EditorPage, session: CommittedSessionDep
) -> Response:
    return _desk_detail(request, session, principal, report_id)


@router.post("/desk/reports/{report_id}/decision")
async def desk_decide(
    report_id: uuid.UUID, request: Request, principal: EditorPage, session: CommittedSessionDep
) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    reason = clean_text(str(form.get("reason", "")))[:2000]
    if action not in ("accept", "return", "feature", "unfeature"):
        return _desk_detail(
            request,
            session,
            principal,
            report_id,
            status_code=422,
            error=i18n.detail_text("未知的操作 / unknown action", i18n.lang_of(request)),
        )
    try:
        service.decide(session, principal=principal, report_id=report_id, action=action, reason=reason,
                       ip=ip_of(request))
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        session.rollback()
        return _desk_detail(
            request, session, principal, report_id, error=problem_text(request, problem), status_code=problem.status
        )
    return RedirectResponse(f"/desk/reports/{report_id}?msg={action}", status_code=303)
