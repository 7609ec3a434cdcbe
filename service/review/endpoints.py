"""/api/v1/review: the editors' queue, claims, decisions, edits, audit, saved filters, dashboard and export;
and /api/v1/submissions/{id}/review, the submitters' per-asset feedback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.csvfile import XLSX
from service.core.deps import PrincipalDep, SessionDep, StaffDep
from service.core.errors import Problem, forbidden, not_found
from service.core.findings import FILTERS, codes_for_filter, vocabulary
from service.core.security import Principal
from service.core.storage import content_disposition
from service.db.asset import Asset
from service.db.org import Role, User
from service.db.review import Review
from service.review import audit, claims, clusters, dashboard, feedback, saved, service
from service.review.queue import QueueFilter, queue_page
from service.review.schemas import (
    BulkIn,
    BulkOut,
    ClusterResolveIn,
    ClusterResolveOut,
    DecisionIn,
    EditIn,
    EventOut,
    FileCaptionIn,
    FileCaptionOut,
    FindingFilterOut,
    FindingTypeOut,
    QueueItem,
    QueuePage,
    QueueParams,
    ReplaceIn,
    ReviewOut,
    SavedFilterIn,
    SavedFilterOut,
    VocabularyOut,
)

router = APIRouter(prefix="/api/v1", tags=["review"])


def review_out(session: Session, review: Review, principal: Principal) -> ReviewOut:
    asset = session.get(Asset, review.asset_id)
    live = review.claimed_until is not None and review.claimed_until > datetime.now(UTC)
    holder = session.scalar(select(User.username).where(User.id == review.claimed_by)) if live else None
    return ReviewOut(
        asset_id=review.asset_id, version=review.version, review_status=review.review_status,
        reason_code=review.reason_code, reason_text=review.reason_text, claimed_by=holder,
        claimed_until=review.claimed_until if live else None,
        claimed_by_me=live and review.claimed_by == principal.user_id,
        caption=asset.caption if asset else "", credit=asset.credit if asset else "",
        tags=review.tags or [], findings=review.findings or [], risk_flags=review.risk_flags or [],
        risk_score=review.risk_score, quality_score=review.quality_score, ocr_text=review.ocr_text,
        cluster_id=review.cluster_id, cluster_best=review.cluster_best,
    )


@router.get("/review/queue", response_model=QueuePage)
def get_queue(
    principal: StaffDep,
    session: SessionDep,
    params: Annotated[QueueParams, Query()],
    limit: Annotated[int, Query(ge=1, le=200)] = 48,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> QueuePage:
    rows, next_cursor = queue_page(session, f=QueueFilter(**params.model_dump()), limit=limit, cursor=cursor)
    return QueuePage(
        items=[QueueItem(
            asset_id=r.review.asset_id, version=r.review.version, title=r.review.title, filename=r.filename,
            caption=r.caption, kind=r.review.kind, category=r.review.category, review_status=r.review.review_status,
            org_name=r.org_name, region_code=r.review.region_code, uploaded_at=r.review.uploaded_at,
            capture_time=r.review.capture_time, quality_score=r.review.quality_score,
            risk_score=r.review.risk_score, risk_flags=r.review.risk_flags or [], tags=r.review.tag_names or [],
            cluster_id=r.review.cluster_id, claimed_by=r.claimed_by_name,
            thumb_url=f"/web/media/{r.review.asset_id}/thumb", consent_state=r.consent_state,
            shows_minors=r.shows_minors, needs_consent=r.needs_consent,
        ) for r in rows],
        next_cursor=next_cursor,
    )


@router.get("/review/assets/{asset_id}", response_model=ReviewOut)
def get_review(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ReviewOut:
    return review_out(session, claims.load_review(session, asset_id), principal)


@router.post("/review/assets/{asset_id}/claim", response_model=ReviewOut)
def claim(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ReviewOut:
    return review_out(session, claims.claim(session, principal=principal, asset_id=asset_id), principal)


@router.delete("/review/assets/{asset_id}/claim", response_model=ReviewOut)
def release(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ReviewOut:
    return review_out(session, claims.release(session, principal=principal, asset_id=asset_id), principal)


@router.post("/review/assets/{asset_id}/decision", response_model=ReviewOut)
def decide(asset_id: uuid.UUID, body: DecisionIn, principal: StaffDep, session: SessionDep) -> ReviewOut:
    review = service.decide(session, principal=principal, asset_id=asset_id, action=body.action,
                            version=body.version, reason_code=body.reason_code, reason_text=body.reason_text,
                            confirm_without_consent=body.confirm_without_consent)
    return review_out(session, review, principal)


@router.post("/review/assets/{asset_id}/undo", response_model=ReviewOut)
def undo(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> ReviewOut:
    """Take back the caller's last decision on the asset within a few seconds (the queue's undo)."""
    return review_out(session, service.undo(session, principal=principal, asset_id=asset_id), principal)


@router.patch("/review/assets/{asset_id}", response_model=ReviewOut)
def edit(asset_id: uuid.UUID, body: EditIn, principal: StaffDep, session: SessionDep) -> ReviewOut:
    review = service.edit(session, principal=principal, asset_id=asset_id, version=body.version,
                          caption=body.caption, credit=body.credit, add_tags=body.add_tags,
                          remove_tags=body.remove_tags)
    return review_out(session, review, principal)


@router.get("/review/assets/{asset_id}/events", response_model=list[EventOut])
def events(asset_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> list[EventOut]:
    claims.load_review(session, asset_id)
    return [EventOut(id=e.id, actor=e.actor_name, action=e.action, before=e.before, after=e.after,
                     created_at=e.created_at) for e in audit.events_of(session, asset_id)]


@router.post("/review/bulk", response_model=BulkOut)
def bulk(body: BulkIn, principal: StaffDep, session: SessionDep) -> BulkOut:
    done, skipped = service.bulk_decide(session, principal=principal, asset_ids=body.asset_ids, action=body.action,
                                        reason_code=body.reason_code, reason_text=body.reason_text,
                                        confirm_without_consent=body.confirm_without_consent)
    return BulkOut(done=done, skipped=skipped)


@router.get("/review/clusters/{cluster_id}", response_model=list[ReviewOut])
def cluster(cluster_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> list[ReviewOut]:
    return [review_out(session, r, principal) for r in clusters.members(session, cluster_id)]


@router.post("/review/clusters/{cluster_id}/resolve", response_model=ClusterResolveOut)
def resolve_cluster(
    cluster_id: uuid.UUID, body: ClusterResolveIn, principal: StaffDep, session: SessionDep
) -> ClusterResolveOut:
    kept, rejected = clusters.resolve(session, principal=principal, cluster_id=cluster_id, keep=body.keep)
    return ClusterResolveOut(kept=kept, rejected=rejected)


@router.get("/review/filters", response_model=list[SavedFilterOut])
def list_filters(principal: StaffDep, session: SessionDep) -> list[SavedFilterOut]:
    return [SavedFilterOut(id=f.id, name=f.name, query=f.query)
            for f in saved.list_filters(session, principal=principal)]


@router.post("/review/filters", response_model=SavedFilterOut, status_code=201)
def save_filter(body: SavedFilterIn, principal: StaffDep, session: SessionDep) -> SavedFilterOut:
    try:
        QueueParams.model_validate(body.query)  # refuse a filter the queue would refuse
    except ValidationError as exc:
        raise Problem(422, "bad_filter", "筛选条件无效", "the saved filter's query is not valid",
                      extra={"errors": [e["msg"] for e in exc.errors()]}) from exc
    f = saved.save_filter(session, principal=principal, name=body.name, query=body.query)
    return SavedFilterOut(id=f.id, name=f.name, query=f.query)


@router.delete("/review/filters/{filter_id}", status_code=204)
def delete_filter(filter_id: uuid.UUID, principal: StaffDep, session: SessionDep) -> Response:
    saved.delete_filter(session, principal=principal, filter_id=filter_id)
    return Response(status_code=204)


@router.get("/review/dashboard")
def get_dashboard(principal: StaffDep, session: SessionDep, campaign_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"counts": dashboard.counts(session, campaign_id=campaign_id), "backlog": dashboard.backlog(),
            "slowest_steps": dashboard.slowest_steps(session)}


@router.get("/review/export.{fmt}")
def export(fmt: str, principal: StaffDep, session: SessionDep, campaign_id: uuid.UUID | None = None) -> Response:
    rows = dashboard.export_rows(session, campaign_id=campaign_id)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if fmt == "xlsx":
        return Response(dashboard.to_xlsx(rows),
                        media_type=XLSX,
                        headers={"Content-Disposition": content_disposition(f"mediadesk-{stamp}.xlsx")})
    if fmt == "csv":
        return Response(dashboard.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": content_disposition(f"mediadesk-{stamp}.csv")})
    raise not_found("export format")


@router.put("/assets/{asset_id}/caption", response_model=FileCaptionOut)
def caption_file(asset_id: uuid.UUID, body: FileCaptionIn, principal: PrincipalDep,
                 session: SessionDep) -> FileCaptionOut:
    """The submitter's headline and caption for one file; a returned file goes back to the review queue."""
    asset = feedback.caption_file(session, principal=principal, asset_id=asset_id, headline=body.headline,
                                  caption=body.caption)
    return FileCaptionOut(asset_id=asset.id, headline=asset.headline, caption=asset.caption,
                          review_status=asset.review_status.value)


@router.put("/assets/{asset_id}/replaces", response_model=FileCaptionOut)
def replace_file(asset_id: uuid.UUID, body: ReplaceIn, principal: PrincipalDep, session: SessionDep) -> FileCaptionOut:
    """Mark a new upload as the replacement of a returned file (same submission); both audit logs record it."""
    asset = feedback.replace_file(session, principal=principal, asset_id=asset_id, replaces=body.replaces)
    return FileCaptionOut(asset_id=asset.id, headline=asset.headline, caption=asset.caption,
                          review_status=asset.review_status.value)


@router.get("/submissions/{submission_id}/review")
def submission_review(submission_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """Per-asset status and reasons for the submitter (polled by the status page)."""
    if principal.role == Role.outlet:
        raise forbidden()
    return {"items": feedback.submission_feedback(session, principal=principal, submission_id=submission_id)}


@router.get("/findings", response_model=VocabularyOut, tags=["findings"])
def findings_vocabulary(principal: PrincipalDep, lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh"
                        ) -> VocabularyOut:
    """Every finding code the screening publishes (name, kind, severity, filter) and the queue's finding= filters."""
    return VocabularyOut(
        findings=[FindingTypeOut.model_validate(entry) for entry in vocabulary(lang)],
        filters=[FindingFilterOut(code=f.code, name=f.name(lang), name_zh=f.name_zh, name_en=f.name_en,
                                  codes=list(codes_for_filter(f.code))) for f in FILTERS],
    )
