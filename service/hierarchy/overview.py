"""A province's (or committee's) view of its members: who has not reported, counts by state, what waits for it.

"Reported" means filed or beyond (filed, forwarded, accepted); drafts and returned reports do not count. Media counts
once a member has one file that finished processing (``ready``) in the campaign.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, aliased

from service.core import orgscope
from service.core.errors import forbidden, not_found
from service.core.exif import beijing_day
from service.core.security import Principal
from service.db.asset import Asset, AssetStatus
from service.db.campaign import Campaign
from service.db.org import Organization, Role
from service.db.prereview import PrereviewState, SubmissionPrereview
from service.db.reporting import Report, ReportKind, ReportStatus
from service.db.submission import Submission

REPORTED = (ReportStatus.filed, ReportStatus.forwarded, ReportStatus.accepted)
#: The four things every member reports, in the order pages and exports show them.
ITEMS = ("plan", "media", "case", "summary")
ITEM_NAMES = {"plan": ("活动方案", "Plan"), "media": ("照片视频", "Photos and videos"),
              "case": ("典型案例", "Typical case"), "summary": ("活动总结", "Summary")}


def campaign_or_latest(session: Session, campaign_id: uuid.UUID | None) -> Campaign:
    if campaign_id is not None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise not_found("campaign")
        return campaign
    campaign = session.scalars(select(Campaign).order_by(Campaign.week_start.desc(), Campaign.created_at.desc())
                               ).first()
    if campaign is None:
        raise not_found("campaign")
    return campaign


def scope_members(session: Session, principal: Principal, parent_id: uuid.UUID | None) -> list[Organization]:
    """The members whose reporting the caller may look at. Staff: ``parent_id``'s members, or without it every
    organisation that has a parent. Others: the members of ``parent_id`` (default: their own organisation), which must
    be their own organisation or one below it."""
    if principal.role == Role.outlet:
        raise forbidden()
    if parent_id is None and principal.is_staff:
        return list(session.scalars(select(Organization).where(Organization.parent_id.is_not(None))
                                    .order_by(Organization.name)))
    parent_id = parent_id or principal.org_id
    if session.get(Organization, parent_id) is None or not orgscope.can_see_org(session, principal, parent_id):
        raise not_found("organisation")
    ids = orgscope.member_org_ids(session, parent_id) - {parent_id}
    if not ids:
        return []
    return list(session.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)))


@dataclass
class MemberReporting:
    org: Organization
    parent_name: str
    reported: dict[str, bool]

    @property
    def missing(self) -> list[str]:
        return [item for item in ITEMS if not self.reported[item]]


def reporting_status(session: Session, *, campaign: Campaign, members: list[Organization]) -> list[MemberReporting]:
    """For each member: whether its plan, media, a case and its summary are in (filed or beyond / one ready file)."""
    ids = [m.id for m in members]
    if not ids:
        return []
    reports: dict[uuid.UUID, set[str]] = defaultdict(set)
    for org_id, kind in session.execute(
            select(Report.org_id, Report.kind).where(Report.campaign_id == campaign.id, Report.org_id.in_(ids),
                                                     Report.status.in_(REPORTED)).distinct()):
        reports[org_id].add(ReportKind(kind).value)
    media = set(session.scalars(select(Asset.org_id).where(
        Asset.campaign_id == campaign.id, Asset.org_id.in_(ids), Asset.status == AssetStatus.ready).distinct()))
    parents = dict(session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_({m.parent_id for m in members if m.parent_id}))).tuples().all())
    return [MemberReporting(org=m, parent_name=parents.get(m.parent_id, "") if m.parent_id else "",
                            reported={"plan": "plan" in reports[m.id], "media": m.id in media,
                                      "case": "case" in reports[m.id], "summary": "summary" in reports[m.id]})
            for m in members]


def not_reported(session: Session, *, principal: Principal, campaign_id: uuid.UUID | None,
                 parent_id: uuid.UUID | None, missing: str | None = None) -> tuple[Campaign, list[MemberReporting]]:
    """Members with something missing (``missing``: only those without that item)."""
    campaign = campaign_or_latest(session, campaign_id)
    rows = reporting_status(session, campaign=campaign, members=scope_members(session, principal, parent_id))
    return campaign, [r for r in rows if (r.missing if missing is None else missing in r.missing)]


def export_rows(rows: list[MemberReporting], lang: str = "zh") -> tuple[list[str], list[list[str]]]:
    """The table the CSV and XLSX exports write: names, never ids or codes."""
    zh = lang.startswith("zh")
    yes, no = ("已报送", "未报送") if zh else ("reported", "missing")
    headers = (["上级单位", "单位", "地区代码"] if zh else ["Parent", "Organisation", "Region code"]) + [
        ITEM_NAMES[i][0 if zh else 1] for i in ITEMS]
    body = [[r.parent_name, r.org.name, r.org.region_code or "", *[yes if r.reported[i] else no for i in ITEMS]]
            for r in rows]
    return headers, body


@dataclass
class MemberCounts:
    org: Organization
    submissions: dict[str, int] = field(default_factory=dict)  # pre-review state -> n
    assets: dict[str, int] = field(default_factory=dict)  # asset status -> n
    reports: dict[str, int] = field(default_factory=dict)  # report status -> n
    overdue: list[str] = field(default_factory=list)  # "plan" / "summary" past their deadline and not filed


@dataclass
class Dashboard:
    campaign: Campaign
    members: list[MemberCounts]
    waiting_submissions: int
    waiting_reports: int

    @property
    def overdue(self) -> list[MemberCounts]:
        return [m for m in self.members if m.overdue]


def overdue_items(campaign: Campaign, row: MemberReporting, today: date) -> list[str]:
    """Plan and summary not filed although their deadline (a Beijing calendar day) has passed."""
    due = {"plan": campaign.plan_deadline, "summary": campaign.summary_deadline}
    return [item for item, day in due.items() if day is not None and day < today and not row.reported[item]]


def dashboard(session: Session, *, principal: Principal, campaign_id: uuid.UUID | None,
              parent_id: uuid.UUID | None) -> Dashboard:
    campaign = campaign_or_latest(session, campaign_id)
    members = scope_members(session, principal, parent_id)
    ids = [m.id for m in members]
    counts = {m.id: MemberCounts(org=m) for m in members}
    if ids:
        state = func.coalesce(cast(SubmissionPrereview.state, String), PrereviewState.pending.value)
        for org_id, key, n in session.execute(
                select(Submission.org_id, state, func.count())
                .outerjoin(SubmissionPrereview, SubmissionPrereview.submission_id == Submission.id)
                .where(Submission.campaign_id == campaign.id, Submission.org_id.in_(ids))
                .group_by(Submission.org_id, state)):
            counts[org_id].submissions[str(key)] = n
        for org_id, status, n in session.execute(
                select(Asset.org_id, Asset.status, func.count())
                .where(Asset.campaign_id == campaign.id, Asset.org_id.in_(ids)).group_by(Asset.org_id, Asset.status)):
            counts[org_id].assets[AssetStatus(status).value] = n
        for org_id, report_status, n in session.execute(
                select(Report.org_id, Report.status, func.count())
                .where(Report.campaign_id == campaign.id, Report.org_id.in_(ids))
                .group_by(Report.org_id, Report.status)):
            counts[org_id].reports[ReportStatus(report_status).value] = n
        today = beijing_day(datetime.now(UTC))
        for row in reporting_status(session, campaign=campaign, members=members):
            counts[row.org.id].overdue = overdue_items(campaign, row, today)
    # What waits for the caller's own decision: its direct and indirect members' pending material.
    reviewable = orgscope.member_org_ids(session, principal.org_id) - {principal.org_id} \
        if principal.role == Role.submitter else set()
    waiting_ids = list(reviewable & set(ids))
    waiting_submissions = waiting_reports = 0
    if waiting_ids:
        decided = aliased(SubmissionPrereview)
        waiting_submissions = session.scalar(
            select(func.count()).select_from(Submission).outerjoin(decided, decided.submission_id == Submission.id)
            .where(Submission.campaign_id == campaign.id, Submission.org_id.in_(waiting_ids),
                   func.coalesce(cast(decided.state, String), PrereviewState.pending.value)
                   == PrereviewState.pending.value)) or 0
        waiting_reports = session.scalar(
            select(func.count()).select_from(Report).where(Report.campaign_id == campaign.id,
                                                           Report.org_id.in_(waiting_ids),
                                                           Report.status == ReportStatus.filed)) or 0
    return Dashboard(campaign=campaign, members=list(counts.values()), waiting_submissions=waiting_submissions,
                     waiting_reports=waiting_reports)
