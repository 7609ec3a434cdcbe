"""What the ministry's desk sees when a campaign asks for pre-review (``campaign.prereview``).

Material of an organisation that has a parent (a province's school, a committee's member) reaches the ministry once
the parent forwarded it; material of an organisation without a parent goes straight there. Where the campaign also
takes direct submissions (``campaign.direct_submissions``), members' material the parent has not decided on yet is
shown too; what the parent returned never is.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, exists, not_, or_
from sqlalchemy.orm import QueryableAttribute

from service.db.asset import Asset
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.prereview import PrereviewState, SubmissionPrereview
from service.db.reporting import Report, ReportStatus

Id = ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID]
Flag = ColumnElement[bool] | QueryableAttribute[bool]


def _campaign_flag(campaign_id: Id, flag: Flag) -> ColumnElement[bool]:
    return exists().where(Campaign.id == campaign_id, flag)


def _has_parent(org_id: Id) -> ColumnElement[bool]:
    return exists().where(Organization.id == org_id, Organization.parent_id.is_not(None))


def submission_state_is(submission_id: Id, state: PrereviewState) -> ColumnElement[bool]:
    return exists().where(SubmissionPrereview.submission_id == submission_id, SubmissionPrereview.state == state)


def _asset_state_is(asset_id: Id, state: PrereviewState) -> ColumnElement[bool]:
    return exists().where(Asset.id == asset_id, SubmissionPrereview.submission_id == Asset.submission_id,
                          SubmissionPrereview.state == state)


def _at_ministry(campaign_id: Id, org_id: Id, forwarded: ColumnElement[bool], returned: ColumnElement[bool]
                 ) -> ColumnElement[bool]:
    return or_(
        not_(_campaign_flag(campaign_id, Campaign.prereview)),
        not_(_has_parent(org_id)),
        forwarded,
        and_(_campaign_flag(campaign_id, Campaign.direct_submissions), not_(returned)),
    )


def submission_at_ministry(campaign_id: Id, org_id: Id, submission_id: Id) -> ColumnElement[bool]:
    """True for a submission the ministry's desk may see (columns of the caller's query, correlated)."""
    return _at_ministry(campaign_id, org_id, submission_state_is(submission_id, PrereviewState.forwarded),
                        submission_state_is(submission_id, PrereviewState.returned))


def asset_at_ministry(campaign_id: Id, org_id: Id, asset_id: Id) -> ColumnElement[bool]:
    """``submission_at_ministry`` for a row keyed by asset (the review queue's ``review`` rows)."""
    return _at_ministry(campaign_id, org_id, _asset_state_is(asset_id, PrereviewState.forwarded),
                        _asset_state_is(asset_id, PrereviewState.returned))


def report_at_ministry() -> ColumnElement[bool]:
    """For the ministry's report desk: a filed report of a member waits for its parent unless the campaign takes direct
    submissions; forwarded and accepted reports, and reports of organisations without a parent, are the ministry's."""
    return or_(
        Report.status.in_([ReportStatus.forwarded, ReportStatus.accepted]),
        not_(_campaign_flag(Report.campaign_id, Campaign.prereview)),
        not_(_has_parent(Report.org_id)),
        and_(Report.status == ReportStatus.filed, _campaign_flag(Report.campaign_id, Campaign.direct_submissions)),
    )
