"""Keeping the review queue's read model (``review`` rows) in step with assets and screening results.

Two entry points, both flush-only:
* ``sync_review_row`` when an asset becomes ``ready`` (called by the pipeline) or its submission/caption changes;
* ``record_screening`` — the interface for the screening/dedupe/tag steps (issue 4) to publish their summary.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.findings import queue_flags, risk_score
from service.db.asset import Asset, AssetStatus
from service.db.review import Review
from service.db.screening import finding_summary
from service.db.submission import Submission

#: Long enough for a video's OCR text (``asset_screening.ocr_text`` keeps 20,000 characters) and its compact copy.
SEARCH_TEXT_LIMIT = 48000


def search_form(text: str) -> str:
    """Text as search stores and compares it: NFKC (full-width Ｐ１２ → P12), lower case; queries go through it too."""
    return unicodedata.normalize("NFKC", text).lower()


def search_text_of(review: Review, asset: Asset, submission: Submission) -> str:
    """What full-text search matches: titles, captions, file name, OCR text and tags, in ``search_form``.

    OCR text also goes in without its spaces and line breaks: OCR splits one banner into lines (and sometimes puts a
    space inside Chinese words), and any ≥ 3 character substring of what the picture shows must be found."""
    ocr = review.ocr_text or ""
    compact = "".join(ocr.split())
    parts: Iterable[str] = (submission.title, submission.description, asset.headline, asset.caption, asset.credit,
                            asset.original_filename, " ".join(review.tag_names or []), ocr,
                            compact if compact != ocr else "")
    return search_form(" ".join(p for p in parts if p))[:SEARCH_TEXT_LIMIT]


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

    ``findings``: ``[{detector, code, score, detail}]`` with vocabulary codes (``service.core.findings``; an unknown
    code raises ``UnknownFinding``). The queue's flags are the codes it filters on (``queue_flags``) plus
    ``duplicate`` while the asset is in a duplicate cluster; the risk score is ``risk_score`` over the same codes
    (risks only: facts, faces and quality never count). ``tags``: ``[{name, source, score}]``, merged with the tags
    already there (editor tags are never overwritten).
    """
    review = sync_review_row(session, asset_id)
    if review is None:
        return None
    if findings is not None:
        review.findings = [finding_summary(str(f.get("detector", "")), str(f.get("code") or f["label"]),
                                           float(f.get("score", 0.0)), dict(f.get("detail") or {})) for f in findings]
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
    codes = [str(f["code"]) for f in review.findings or []] + (["duplicate"] if review.cluster_id else [])
    review.risk_flags, review.risk_score = queue_flags(codes), risk_score(codes)
    return sync_review_row(session, asset_id)


def sync_submission(session: Session, submission_id: uuid.UUID) -> int:
    """Refresh the review rows of a submission's assets after its metadata changed (title, region, category)."""
    asset_ids = session.scalars(
        select(Review.asset_id).join(Asset, Asset.id == Review.asset_id).where(Asset.submission_id == submission_id)
    ).all()
    for asset_id in asset_ids:
        sync_review_row(session, asset_id)
    return len(asset_ids)
