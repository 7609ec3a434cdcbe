"""A province's (or committee's) pre-review of its members' filed reports and submissions: the queue, forward to
the ministry, return with a reason (shown to the member), bulk forward. Services flush, never commit.

Only a submitter of an organisation strictly above the material's organisation decides (``orgscope.
is_parent_reviewer``); the ministry's staff do not act for a province. Forwarding twice is a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import String, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from service.core import audit, orgscope
from service.core.errors import Problem, forbidden, not_found
from service.core.events import EventKind, publish
from service.core.security import Principal
from service.db.asset import Asset
from service.db.org import Organization, Role
from service.db.prereview import PrereviewState, SubmissionPrereview
from service.db.reporting import TRANSITIONS, Report, ReportAsset, ReportKind, ReportStatus
from service.db.submission import Submission

#: What the queue's ``kind`` filter accepts: media submissions, or one kind of report.
KINDS = ("submission", *(k.value for k in ReportKind))
#: A report's status as a pre-review state (drafts are never in the queue).
REPORT_STATE = {ReportStatus.filed: PrereviewState.pending, ReportStatus.forwarded: PrereviewState.forwarded,
                ReportStatus.accepted: PrereviewState.forwarded, ReportStatus.returned: PrereviewState.returned}
REASON_MAX = 2000


@dataclass
class QueueItem:
    kind: str  # "submission" or a ReportKind value
    id: uuid.UUID
    org_id: uuid.UUID
    org_name: str
    campaign_id: uuid.UUID
    title: str
    state: str  # PrereviewState value
    reason: str | None
    at: datetime | None  # when it was filed (reports) / created (submissions)
    files: int  # a submission's files, or the media a report links


def reviewable_members(session: Session, principal: Principal) -> set[uuid.UUID]:
    """The organisations below the caller's own (its members at any depth); empty for anyone else."""
    if principal.role != Role.submitter:
        return set()
    return orgscope.member_org_ids(session, principal.org_id) - {principal.org_id}


def queue(session: Session, *, principal: Principal, campaign_id: uuid.UUID | None = None,
          org_id: uuid.UUID | None = None, kind: str | None = None, state: str | None = None,
          limit: int = 200, offset: int = 0) -> tuple[list[QueueItem], int]:
    """The caller's members' filed reports and submissions, newest first; ``state`` pending / forwarded / returned."""
    if kind is not None and kind not in KINDS:
        raise Problem(422, "bad_filter", "未知的材料类型", f"unknown kind {kind!r}; use {', '.join(KINDS)}")
    if state is not None and state not in PrereviewState.__members__:
        raise Problem(422, "bad_filter", "未知的预审状态", f"unknown state {state!r}; use pending, forwarded, returned")
    members = reviewable_members(session, principal)
    if org_id is not None:
        members &= {org_id}
    if not members:
        return [], 0
    files = select(func.count()).where(Asset.submission_id == Submission.id).correlate(Submission).scalar_subquery()
    sub_state = func.coalesce(cast(SubmissionPrereview.state, String), PrereviewState.pending.value)
    subs = (select(literal("submission").label("kind"), Submission.id, Submission.org_id, Submission.campaign_id,
                   Submission.title, sub_state.label("state"), SubmissionPrereview.reason,
                   Submission.created_at.label("at"), files.label("files"))
            .outerjoin(SubmissionPrereview, SubmissionPrereview.submission_id == Submission.id)
            .where(Submission.org_id.in_(members)))
    report_state = cast(Report.status, String)
    linked = select(func.count()).where(ReportAsset.report_id == Report.id).correlate(Report).scalar_subquery()
    reps = (select(cast(Report.kind, String).label("kind"), Report.id, Report.org_id, Report.campaign_id,
                   Report.title, report_state.label("state"), Report.return_reason.label("reason"),
                   Report.filed_at.label("at"), linked.label("files"))
            .where(Report.org_id.in_(members), Report.status != ReportStatus.draft))
    if campaign_id is not None:
        subs, reps = subs.where(Submission.campaign_id == campaign_id), reps.where(Report.campaign_id == campaign_id)
    if state is not None:
        subs = subs.where(sub_state == state)
        reps = reps.where(Report.status.in_([s for s, p in REPORT_STATE.items() if p == state]))
    if kind == "submission":
        every = subs.subquery()
    elif kind is not None:
        every = reps.where(Report.kind == kind).subquery()
    else:
        every = union_all(subs, reps).subquery()
    total = session.scalar(select(func.count()).select_from(every)) or 0
    rows = session.execute(
        select(every, Organization.name).join(Organization, Organization.id == every.c.org_id)
        .order_by(every.c.at.desc().nulls_last(), every.c.id).limit(limit).offset(offset)).all()
    items = [QueueItem(kind=r.kind, id=r.id, org_id=r.org_id, org_name=r.name, campaign_id=r.campaign_id,
                       title=r.title, state=REPORT_STATE.get(ReportStatus(r.state), PrereviewState.pending).value
                       if r.kind != "submission" else str(r.state), reason=r.reason, at=r.at, files=int(r.files))
             for r in rows]
    return items, total


def _require_reviewer(session: Session, principal: Principal, org_id: uuid.UUID, what: str) -> None:
    if not orgscope.can_see_org(session, principal, org_id) or principal.role == Role.outlet:
        raise not_found(what)
    if not orgscope.is_parent_reviewer(session, principal, org_id):
        raise forbidden("只有上级单位（省级教育行政部门、行指委等）可以预审下属单位的材料",
                        "only the parent organisation (province, committee) pre-reviews its members' material")


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise Problem(422, "reason_required", "退回时必须填写原因，原因会显示给报送单位",
                      "a reason is required to return material; the member organisation sees it")
    if len(text) > REASON_MAX:
        raise Problem(422, "reason_too_long", f"退回原因不能超过 {REASON_MAX} 字",
                      f"the reason is longer than {REASON_MAX} characters")
    return text


def _load_submission(session: Session, principal: Principal, submission_id: uuid.UUID) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise not_found("submission")
    _require_reviewer(session, principal, submission.org_id, "submission")
    return submission


def _prereview_row(session: Session, submission_id: uuid.UUID) -> SubmissionPrereview:
    row = session.get(SubmissionPrereview, submission_id, with_for_update=True)
    if row is None:
        row = SubmissionPrereview(submission_id=submission_id, state=PrereviewState.pending)
        session.add(row)
    return row


def forward_submission(session: Session, *, principal: Principal, submission_id: uuid.UUID,
                       ip: str | None = None) -> SubmissionPrereview:
    """Send a member's submission on to the ministry (from pending or returned); a second forward changes nothing."""
    submission = _load_submission(session, principal, submission_id)
    row = _prereview_row(session, submission.id)
    if row.state == PrereviewState.forwarded:
        return row
    before = row.state
    row.state, row.reason = PrereviewState.forwarded, None
    row.by_user_id, row.by_org_id, row.at = principal.user_id, principal.org_id, datetime.now(UTC)
    session.flush()
    audit.record(session, actor=principal, action="submission.forward", target_kind="submission",
                 target_id=submission.id, org_id=submission.org_id, detail={"from": before.value, "to": "forwarded"},
                 ip=ip)
    return row


def return_submission(session: Session, *, principal: Principal, submission_id: uuid.UUID, reason: str | None,
                      ip: str | None = None) -> SubmissionPrereview:
    """Send a member's pending submission back with a reason its submitters see; they change it and it is pending
    again (``service.ingest.submissions.reopen_returned``). Forwarded material is the ministry's: 409."""
    text = clean_reason(reason)
    submission = _load_submission(session, principal, submission_id)
    row = _prereview_row(session, submission.id)
    if row.state == PrereviewState.forwarded:
        raise Problem(409, "already_forwarded", "该材料已转报教育部，不能再退回",
                      "this material was forwarded to the ministry already and cannot be returned")
    if row.state == PrereviewState.returned and row.reason == text:
        return row
    row.state, row.reason = PrereviewState.returned, text
    row.by_user_id, row.by_org_id, row.at = principal.user_id, principal.org_id, datetime.now(UTC)
    session.flush()
    audit.record(session, actor=principal, action="submission.return", target_kind="submission",
                 target_id=submission.id, org_id=submission.org_id, detail={"to": "returned", "reason": text}, ip=ip)
    publish(session, EventKind.submission_returned, subject_kind="submission", subject_id=submission.id,
            org_id=submission.org_id, user_id=submission.created_by, campaign_id=submission.campaign_id,
            data={"title": submission.title, "reason": text, "by_org_id": str(principal.org_id)})
    return row


def _load_report(session: Session, principal: Principal, report_id: uuid.UUID) -> Report:
    report = session.scalar(select(Report).where(Report.id == report_id).with_for_update(of=Report))
    if report is None or report.status == ReportStatus.draft:
        raise not_found("report")
    _require_reviewer(session, principal, report.org_id, "report")
    return report


def _move(report: Report, to: ReportStatus) -> None:
    if to not in TRANSITIONS[report.status]:
        raise Problem(409, "bad_transition", "该报送材料当前状态下不能执行此操作",
                      f"a {report.status.value} report cannot become {to.value}")


def forward_report(session: Session, *, principal: Principal, report_id: uuid.UUID, ip: str | None = None) -> Report:
    """filed → forwarded; forwarding a forwarded (or accepted) report again changes nothing."""
    report = _load_report(session, principal, report_id)
    if report.status in (ReportStatus.forwarded, ReportStatus.accepted):
        return report
    _move(report, ReportStatus.forwarded)
    report.status, report.return_reason = ReportStatus.forwarded, None
    report.forwarded_at, report.forwarded_by = datetime.now(UTC), principal.user_id
    session.flush()
    audit.record(session, actor=principal, action="report.forward", target_kind="report", target_id=report.id,
                 org_id=report.org_id, detail={"from": "filed", "to": "forwarded", "kind": report.kind.value}, ip=ip)
    publish(session, EventKind.report_forwarded, subject_kind="report", subject_id=report.id, org_id=report.org_id,
            user_id=report.filed_by, campaign_id=report.campaign_id,
            data={"title": report.title, "kind": report.kind.value, "by_org_id": str(principal.org_id)})
    return report


def return_report(session: Session, *, principal: Principal, report_id: uuid.UUID, reason: str | None,
                  ip: str | None = None) -> Report:
    """filed → returned with a reason the member sees; it files again after changing it."""
    text = clean_reason(reason)
    report = _load_report(session, principal, report_id)
    if report.status == ReportStatus.returned and report.return_reason == text:
        return report
    if report.status in (ReportStatus.forwarded, ReportStatus.accepted):
        raise Problem(409, "already_forwarded", "该报送材料已转报教育部，不能再退回",
                      "this report was forwarded to the ministry already and cannot be returned")
    _move(report, ReportStatus.returned)
    report.status, report.return_reason = ReportStatus.returned, text
    report.decided_at, report.decided_by = datetime.now(UTC), principal.user_id
    session.flush()
    audit.record(session, actor=principal, action="report.return", target_kind="report", target_id=report.id,
                 org_id=report.org_id, detail={"from": "filed", "to": "returned", "reason": text,
                                               "kind": report.kind.value, "by": "parent"}, ip=ip)
    publish(session, EventKind.report_returned, subject_kind="report", subject_id=report.id, org_id=report.org_id,
            user_id=report.filed_by, campaign_id=report.campaign_id,
            data={"title": report.title, "kind": report.kind.value, "reason": text,
                  "by_org_id": str(principal.org_id)})
    return report


@dataclass
class BulkResult:
    forwarded: list[uuid.UUID]
    unchanged: list[uuid.UUID]
    refused: list[tuple[uuid.UUID, str]]  # (id, problem code)


def bulk_forward(session: Session, *, principal: Principal, submission_ids: list[uuid.UUID],
                 report_ids: list[uuid.UUID], ip: str | None = None) -> BulkResult:
    """Forward many at once; each item is decided alone (one the caller may not forward is listed, not fatal)."""
    result = BulkResult([], [], [])
    for submission_id in dict.fromkeys(submission_ids):
        before = _state_of_submission(session, submission_id)
        try:
            with session.begin_nested():
                forward_submission(session, principal=principal, submission_id=submission_id, ip=ip)
        except Problem as problem:
            result.refused.append((submission_id, problem.code))
            continue
        (result.unchanged if before == "forwarded" else result.forwarded).append(submission_id)
    for report_id in dict.fromkeys(report_ids):
        before = _state_of_report(session, report_id)
        try:
            with session.begin_nested():
                forward_report(session, principal=principal, report_id=report_id, ip=ip)
        except Problem as problem:
            result.refused.append((report_id, problem.code))
            continue
        (result.unchanged if before == "forwarded" else result.forwarded).append(report_id)
    return result


def _state_of_submission(session: Session, submission_id: uuid.UUID) -> str | None:
    state = session.scalar(select(SubmissionPrereview.state).where(
        SubmissionPrereview.submission_id == submission_id))
    return state.value if state else None


def _state_of_report(session: Session, report_id: uuid.UUID) -> str | None:
    status = session.scalar(select(Report.status).where(Report.id == report_id))
    return REPORT_STATE[status].value if status in REPORT_STATE else None


def submission_state(session: Session, submission_id: uuid.UUID) -> SubmissionPrereview | None:
    """The submission's pre-review row (None: nothing decided), for its own pages."""
    return session.get(SubmissionPrereview, submission_id)
