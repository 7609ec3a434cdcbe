"""/api/v1/submissions: create, list, read and update submissions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from service.campaigns.service import default_campaign, get_campaign
from service.core.deps import PrincipalDep, SessionDep
from service.db.campaign import campaign_taxonomy
from service.db.prereview import SubmissionPrereview
from service.db.submission import Submission
from service.hierarchy.prereview import submission_state
from service.ingest import submissions
from service.ingest.schemas import SubmissionCreate, SubmissionOut, SubmissionPage, SubmissionUpdate
from service.ingest.vocabulary import CATEGORIES

router = APIRouter(prefix="/api/v1", tags=["submissions"])


def to_out(submission: Submission, asset_count: int, prereview: SubmissionPrereview | None = None) -> SubmissionOut:
    return SubmissionOut.model_validate(
        {**{c: getattr(submission, c) for c in SubmissionOut.model_fields if hasattr(submission, c)},
         "org_name": submission.org.name, "asset_count": asset_count,
         "prereview_state": prereview.state.value if prereview else None,
         "prereview_reason": prereview.reason if prereview else None}
    )


@router.post("/submissions", status_code=201, response_model=SubmissionOut)
def create_submission(body: SubmissionCreate, principal: PrincipalDep, session: SessionDep) -> SubmissionOut:
    submission = submissions.create_submission(session, principal=principal, data=body)
    return to_out(submission, 0)


@router.get("/submissions", response_model=SubmissionPage)
def list_submissions(
    principal: PrincipalDep,
    session: SessionDep,
    campaign_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SubmissionPage:
    rows, total = submissions.list_submissions(
        session, principal=principal, campaign_id=campaign_id, limit=limit, offset=offset
    )
    return SubmissionPage(items=[to_out(s, n) for s, n in rows], total=total)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut)
def get_submission(submission_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> SubmissionOut:
    submission = submissions.get_submission(session, principal=principal, submission_id=submission_id)
    return to_out(submission, submissions.asset_count(session, submission.id),
                  submission_state(session, submission.id))


@router.patch("/submissions/{submission_id}", response_model=SubmissionOut)
def update_submission(
    submission_id: uuid.UUID, body: SubmissionUpdate, principal: PrincipalDep, session: SessionDep
) -> SubmissionOut:
    submission = submissions.update_submission(session, principal=principal, submission_id=submission_id, data=body)
    return to_out(submission, submissions.asset_count(session, submission.id),
                  submission_state(session, submission.id))


@router.get("/vocabulary")
def vocabulary(session: SessionDep, campaign_id: uuid.UUID | None = None) -> dict[str, object]:
    """Categories and the theme tags accepted in submission metadata: those of ``campaign_id``, else of the campaign
    open for uploads (else the latest)."""
    campaign = get_campaign(session, campaign_id) if campaign_id else default_campaign(session)
    themes = campaign_taxonomy(session, campaign.id).theme_tags if campaign else ()
    return {
        "categories": [{"code": code, "zh": zh, "en": en} for code, (zh, en) in CATEGORIES.items()],
        "campaign_id": str(campaign.id) if campaign else None,
        "theme_tags": [name for name, _ in themes],
        "theme_tag_names": [{"name": name, "en": en} for name, en in themes],
    }
