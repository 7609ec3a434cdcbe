"""What the reporting organisations' pages (``pages``) and the editors' desk (``desk_pages``) share: a report's detail
context, the redirect's confirmation, the client address, a problem's text and form ids."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import audit
from service.core.clientaddr import client_address
from service.core.errors import Problem
from service.core.security import Principal
from service.db.asset import Asset, AssetStatus
from service.db.reporting import TRANSITIONS, Report, ReportAsset, ReportStatus
from service.db.submission import Submission
from service.reporting import service
from service.reporting.markup import render as render_body
from service.reporting.vocabulary import EDITABLE
from service.web import i18n


def message_of(request: Request) -> str | None:
    """The confirmation a redirect asked for (``?msg=filed``), only if it is one of ours: never a raw key."""
    msg = request.query_params.get("msg")
    return msg if msg and f"rep.msg.{msg}" in i18n.MESSAGES else None


def ip_of(request: Request) -> str:
    return client_address(request)


def problem_text(request: Request, problem: Problem) -> str:
    return i18n.detail_text(problem.detail, i18n.lang_of(request))


def _pickable(session: Session, report: Report) -> list[tuple[Asset, str]]:
    """The organisation's ready photos and videos of the report's campaign, not yet linked, newest first."""
    linked = select(ReportAsset.asset_id).where(ReportAsset.report_id == report.id)
    return [
        (asset, title)
        for asset, title in session.execute(
            select(Asset, Submission.title)
            .join(Submission, Submission.id == Asset.submission_id)
            .where(
                Asset.org_id == report.org_id,
                Asset.campaign_id == report.campaign_id,
                Asset.status == AssetStatus.ready,
                Asset.id.not_in(linked),
            )
            .order_by(Asset.created_at.desc())
            .limit(120)
        ).all()
    ]


def _history(session: Session, report: Report) -> list[Any]:
    from service.db.audit import AuditLog

    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.target_kind == "report", AuditLog.target_id == report.id)
            .order_by(AuditLog.at)
        ).all()
    )


def detail_context(request: Request, session: Session, principal: Principal, report: Report) -> dict[str, Any]:
    lang = i18n.lang_of(request)
    writer = service.is_writer(principal, report)
    editable = writer and report.status in EDITABLE
    return {
        "report": report,
        "body_html": render_body(report.body),
        "links": service.linked_assets(session, report.id),
        "documents": service.documents(session, report.id),
        "editable": editable,
        "writer": writer,
        "pickable": _pickable(session, report) if editable else [],
        "missing": service.missing_for_filing(session, report) if editable else [],
        "missing_names": service.MISSING_NAMES,
        "history": _history(session, report),
        "action_name": lambda code: audit.action_name(code, lang),
        "can_file": editable and ReportStatus.filed in TRANSITIONS[report.status],
    }


def ids_of(values: list[Any]) -> list[uuid.UUID]:
    out = []
    for value in values[:200]:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out
