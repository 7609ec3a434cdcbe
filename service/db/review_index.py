"""Keeping the review queue's read model (``review`` rows) in step with assets and screening results.

Two entry points, both flush-only:
* ``sync_review_row`` when an asset becomes ``ready`` (called by the pipeline) or its submission/caption changes;
* ``record_screening`` — the interface for the screening/dedupe/tag steps (issue 4) to publish their summary.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.asset import Asset, AssetStatus
from service.db.review import Review
from service.db.submission import Submission


def search_text_of(review: Review, asset: Asset, submission: Submission) -> str:
    """What full-text search matches: titles, captions, file name, OCR text and tags, lower-cased once here."""
    parts: Iterable[str] = (submission.title, submission.description, asset.headline, asset.caption, asset.credit,
                            asset.original_filename, review.ocr_text, " ".join(review.tag_names or []))
    return " ".join(p for p in parts if p).lower()[:20000]


def sync_review_row(session: Session, asset_id: uuid.UUID) -> Review | None:
    """Create or refresh the asset's ``review`` row; None when the asset is not (yet) ready for review."""
    row = session.execute(
        select(Asset, Submission).join(Submission, Submission.id == Asset.submission_id).where(Asset.id == asset_id)
    ).first()
    if row is None:
        return None
    asset, submission = row
    review = session.get(Review, asset_id)
    if review is None and asset.status != AssetStatus.ready:
        return None
    region = submission.region_code or asset_region(session, asset)
    if review is None:
        review = Review(asset_id=asset.id, version=1, tag_names=[], tags=[], risk_flags=[], findings=[],
                        ocr_text="", quality_score=0.0, risk_score=0.0, cluster_best=False, reason_text="")
        seed_submitter_tags(review, submission.theme_tags or [])
        session.add(review)
    review.campaign_id, review.org_id, review.region_code = asset.campaign_id, asset.org_id, region
    review.category, review.title = submission.category, asset.headline or submission.title
    review.kind = asset.kind.value if asset.kind else None
    review.review_status = asset.review_status.value
    review.uploaded_at, review.capture_time = asset.created_at, asset.capture_time
    review.search_text = search_text_of(review, asset, submission)
    session.flush()
    return review


def asset_region(session: Session, asset: Asset) -> str | None:
    from service.db.org import Organization

    return session.scalar(select(Organization.region_code).where(Organization.id == asset.org_id))


def seed_submitter_tags(review: Review, theme_tags: list[str]) -> None:
    for name in theme_tags:
        if name not in review.tag_names:
            review.tags = [*review.tags, {"name": name, "source": "submitter", "score": 1.0}]
            review.tag_names = [*review.tag_names, name]


def record_screening(
    session: Session,
    asset_id: uuid.UUID,
    *,
    findings: list[dict[str, Any]] | None = None,
    quality_score: float | None = None,
    tags: list[dict[str, Any]] | None = None,
    ocr_text: str | None = None,
    cluster_id: uuid.UUID | None = None,
    cluster_best: bool | None = None,
) -> Review | None:
    """Publish the screening summary of one asset to the queue.

    ``findings``: ``[{detector, label, score, detail}]``; labels become risk flags (nudity, promotion, qr,
    low_quality, faces …) and the highest score the risk score. ``tags``: ``[{name, source, score}]``, merged with
    the tags already there (editor tags are never overwritten).
    """
    review = sync_review_row(session, asset_id)
    if review is None:
        return None
    if findings is not None:
        review.findings = findings
        review.risk_flags = sorted({str(f["label"]) for f in findings})
        review.risk_score = max((float(f.get("score", 0.0)) for f in findings), default=0.0)
    if quality_score is not None:
        review.quality_score = quality_score
    if tags is not None:
        merged = {t["name"]: t for t in review.tags}
        for tag in tags:
            if merged.get(tag["name"], {}).get("source") != "editor":
                merged[tag["name"]] = tag
        review.tags = list(merged.values())
        review.tag_names = list(merged)
    if ocr_text is not None:
        review.ocr_text = ocr_text
    if cluster_id is not None:
        review.cluster_id = cluster_id
    if cluster_best is not None:
        review.cluster_best = cluster_best
    return sync_review_row(session, asset_id)


def sync_submission(session: Session, submission_id: uuid.UUID) -> int:
    """Refresh the review rows of a submission's assets after its metadata changed (title, region, category)."""
    asset_ids = session.scalars(
        select(Review.asset_id).join(Asset, Asset.id == Review.asset_id).where(Asset.submission_id == submission_id)
    ).all()
    for asset_id in asset_ids:
        sync_review_row(session, asset_id)
    return len(asset_ids)
