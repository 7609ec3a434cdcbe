"""Deadline status per organisation, from what it actually filed, in Beijing time.

The notice's dates are Beijing calendar days: a plan due 28 April may be filed until 23:59 Beijing time that day.
A plan or summary counts once its report is filed (or forwarded, or accepted); a returned one is due again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from service.core.beijing import BEIJING, beijing_today
from service.db.campaign import Campaign
from service.db.reporting import Report, ReportKind, ReportStatus
from service.db.submission import Submission

Item = Literal["plan", "material", "uploads", "summary"]
State = Literal["filed", "due", "overdue", "returned", "closed", "none"]
FILED: frozenset[ReportStatus] = frozenset({ReportStatus.filed, ReportStatus.forwarded, ReportStatus.accepted})


@dataclass(frozen=True)
class DeadlineStatus:
    item: Item
    due: date | None
    state: State
    days_left: int | None = None
    filed_on: date | None = None  # Beijing date
    report_id: uuid.UUID | None = None


def _open(item: Item, due: date | None, today: date) -> DeadlineStatus:
    if due is None:
        return DeadlineStatus(item, None, "none")
    if today > due:
        return DeadlineStatus(item, due, "overdue", (due - today).days)
    return DeadlineStatus(item, due, "due", (due - today).days)


def _report_status(item: Item, due: date | None, report: Report | None, today: date) -> DeadlineStatus:
    if report is not None and report.status in FILED and report.filed_at is not None:
        return DeadlineStatus(item, due, "filed", filed_on=report.filed_at.astimezone(BEIJING).date(),
                              report_id=report.id)
    if report is not None and report.status == ReportStatus.returned:
        days = (due - today).days if due else None
        return DeadlineStatus(item, due, "returned", days, report_id=report.id)
    found = _open(item, due, today)
    return DeadlineStatus(found.item, found.due, found.state, found.days_left,
                          report_id=report.id if report else None)


def deadline_statuses(session: Session, *, org_id: uuid.UUID, campaign: Campaign,
                      now: datetime | None = None) -> list[DeadlineStatus]:
    """Plan, the week's material, uploads closing and summary for ``org_id`` in ``campaign``."""
    today = beijing_today(now)
    reports = {r.kind: r for r in session.scalars(select(Report).where(
        Report.org_id == org_id, Report.campaign_id == campaign.id,
        Report.kind.in_([ReportKind.plan, ReportKind.summary]))).all()}
    material_filed = bool(session.scalar(select(
        exists().where(Submission.org_id == org_id, Submission.campaign_id == campaign.id,
                       Submission.category != "summary")
        | exists().where(Report.org_id == org_id, Report.campaign_id == campaign.id,
                         Report.kind.in_([ReportKind.case, ReportKind.manuscript]), Report.status.in_(FILED)))))
    closes = campaign.upload_closes_at.astimezone(BEIJING).date()
    closed = (now or datetime.now(UTC)) >= campaign.upload_closes_at
    return [
        _report_status("plan", campaign.plan_deadline, reports.get(ReportKind.plan), today),
        DeadlineStatus("material", campaign.week_end, "filed") if material_filed
        else _open("material", campaign.week_end, today),
        DeadlineStatus("uploads", closes, "closed") if closed else DeadlineStatus("uploads", closes, "due",
                                                                                   (closes - today).days),
        _report_status("summary", campaign.summary_deadline, reports.get(ReportKind.summary), today),
    ]
