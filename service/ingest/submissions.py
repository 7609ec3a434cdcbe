"""Submission rules: who may create, see and change which submission. Services flush, never commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from service.campaigns.service import check_theme_tags
from service.core import audit, orgscope
from service.core.errors import Problem, forbidden, not_found
from service.core.security import Principal
from service.db.asset import Asset, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization, OrgKind, Role
from service.db.review_index import sync_submission
from service.db.submission import Submission
from service.ingest.schemas import SubmissionCreate, SubmissionUpdate

SUBMITTING_KINDS = {OrgKind.province, OrgKind.committee, OrgKind.school, OrgKind.department, OrgKind.ministry}


def open_campaign(session: Session, *, at: datetime | None = None) -> Campaign | None:
    """The campaign whose upload window contains ``at`` (latest first)."""
    at = at or datetime.now(UTC)
    return session.scalars(
        select(Campaign)
        .where(Campaign.upload_opens_at <= at, Campaign.upload_closes_at > at)
        .order_by(Campaign.upload_opens_at.desc())
    ).first()


def window_closed(campaign: Campaign) -> Problem:
    return Problem(
        403,
        "upload_window_closed",
        f"「{campaign.name}」的上传时间为 {campaign.upload_opens_at:%Y-%m-%d %H:%M} 至 "
        f"{campaign.upload_closes_at:%Y-%m-%d %H:%M}（UTC），当前不在上传时间内",
        f"uploads for {campaign.name!r} are accepted from {campaign.upload_opens_at.isoformat()} "
        f"to {campaign.upload_closes_at.isoformat()} only",
    )


def create_submission(session: Session, *, principal: Principal, data: SubmissionCreate) -> Submission:
    """Create a submission for the caller's organisation (staff may name another organisation)."""
    if principal.role == Role.outlet:
        raise forbidden("媒体用户不能提交材料", "outlets cannot create submissions")
    org_id = principal.org_id
    if data.org_id and data.org_id != principal.org_id:
        if not principal.is_staff:
            raise forbidden("只能为本单位提交材料", "submitters may only submit for their own organisation")
        org_id = data.org_id
    org = session.get(Organization, org_id)
    if org is None:
        raise not_found("organisation")
    if data.campaign_id:
        campaign = session.get(Campaign, data.campaign_id)
        if campaign is None:
            raise not_found("campaign")
    else:
        campaign = open_campaign(session)
        if campaign is None:
            raise Problem(409, "no_open_campaign", "当前没有开放上传的活动周", "no campaign is open for uploads now")
    fields = data.model_dump(exclude={"campaign_id", "org_id"})
    fields["theme_tags"] = check_theme_tags(session, campaign.id, fields["theme_tags"])
    if fields["region_code"] is None:
        fields["region_code"] = org.region_code
    submission = Submission(campaign_id=campaign.id, org_id=org.id, created_by=principal.user_id, **fields)
    session.add(submission)
    session.flush()
    audit.record(session, actor=principal, action="submission.create", target_kind="submission",
                 target_id=submission.id, org_id=org.id, detail={"campaign_id": str(campaign.id)})
    return submission


def get_submission(session: Session, *, principal: Principal, submission_id: uuid.UUID,
                   edit: bool = False) -> Submission:
    """Load a submission the caller may see (``service.core.orgscope``: a province sees its schools'); others'
    submissions are reported as not found. ``edit=True``: the caller must also own it (403 for a parent that only
    sees it: the school's submitters own their edits)."""
    submission = session.get(Submission, submission_id)
    if submission is None or principal.role == Role.outlet or \
            not orgscope.can_see_org(session, principal, submission.org_id):
        raise not_found("submission")
    if edit and not can_see(principal, submission.org_id):
        raise forbidden("上级单位只能查看、预审下属单位的报送，修改须由报送单位进行",
                        "a parent organisation may read and pre-review this submission; only its own organisation "
                        "edits it")
    return submission


def can_see(principal: Principal, org_id: uuid.UUID) -> bool:
    """May act for ``org_id`` (its uploads and edits): ``orgscope.can_edit_org``."""
    return orgscope.can_edit_org(principal, org_id)


def list_submissions(
    session: Session, *, principal: Principal, campaign_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[tuple[Submission, int]], int]:
    if principal.role == Role.outlet:
        raise forbidden()
    query = select(Submission)
    if (scope := orgscope.scope_condition(session, principal, Submission.org_id)) is not None:
        query = query.where(scope)
    if campaign_id:
        query = query.where(Submission.campaign_id == campaign_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    counts = (
        select(Asset.submission_id, func.count().label("n")).group_by(Asset.submission_id).subquery()
    )
    rows = session.execute(
        query.add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.submission_id == Submission.id)
        .order_by(Submission.created_at.desc(), Submission.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [(row[0], int(row[1])) for row in rows], total


#: What delivered files and the portal say about a file (``service.db.credits.credits_for``): frozen once released.
RELEASED_FIELDS = ("title", "description", "credits", "place", "activity_date", "region_code", "theme_tags")


def has_released_files(session: Session, submission_id: uuid.UUID) -> bool:
    """An editor featured one of its files: it may be in an outlet's hands already."""
    return bool(session.scalar(select(exists().where(Asset.submission_id == submission_id,
                                                     Asset.review_status == ReviewStatus.featured))))


def released_frozen() -> Problem:
    return Problem(409, "released_frozen",
                   "该投稿已有素材被精选发布，标题、简介、署名等信息已冻结；如需更正请联系编辑部",
                   "files of this submission are featured for release: its title, description, credits, place, date "
                   "and tags are frozen; ask the media desk to correct them")


def update_submission(
    session: Session, *, principal: Principal, submission_id: uuid.UUID, data: SubmissionUpdate
) -> Submission:
    """Change a submission's metadata. Once a file is featured, a submitter's change to what outlets see is refused
    (409 ``released_frozen``): outlets must never see text nobody at the desk has read. Editors may still correct it."""
    submission = get_submission(session, principal=principal, submission_id=submission_id, edit=True)
    changes = {}
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is None and key in ("title", "category", "description", "activity", "place", "credits", "consent",
                                     "theme_tags"):
            continue
        if key == "theme_tags":
            value = check_theme_tags(session, submission.campaign_id, value)
        if getattr(submission, key) != value:
            changes[key] = value
    if not principal.is_staff and any(key in RELEASED_FIELDS for key in changes) and \
            has_released_files(session, submission.id):
        raise released_frozen()
    for key, value in changes.items():
        setattr(submission, key, value)
    if changes:
        reopen_returned(session, submission.id)
    session.flush()
    if changes:  # which fields, never their text (a title or description goes when the submission is purged)
        audit.record(session, actor=principal, action="submission.edit", target_kind="submission",
                     target_id=submission.id, org_id=submission.org_id, detail={"fields": sorted(changes)})
    sync_submission(session, submission.id)  # the review queue searches and filters on these fields
    return submission


def reopen_returned(session: Session, submission_id: uuid.UUID) -> None:
    """A submission its parent returned goes back to the parent's pre-review queue once its school changed it."""
    from service.db.prereview import PrereviewState, SubmissionPrereview

    row = session.get(SubmissionPrereview, submission_id)
    if row is not None and row.state == PrereviewState.returned:
        row.state = PrereviewState.pending


def asset_count(session: Session, submission_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).where(Asset.submission_id == submission_id)) or 0
