"""What a submitter sees per asset: processing step, thumbnail, and the exact reason and advice when it failed,
was rejected as invalid, or was rejected / returned by an editor."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.security import Principal
from service.db.asset import Asset, AssetStatus, Job, JobStatus
from service.db.review import Review
from service.ingest.submissions import get_submission
from service.review.reasons import REASONS

#: pipeline reason -> what the submitter can do about it
PIPELINE_ADVICE: dict[str, str] = {
    AssetStatus.rejected_invalid.value: "请检查文件是否完整、格式是否受支持，并重新上传原始文件",
    AssetStatus.failed.value: "处理暂时失败，系统会自动重试；如长时间未恢复，请联系编辑重新处理",
}


def submission_feedback(session: Session, *, principal: Principal, submission_id: uuid.UUID) -> list[dict[str, Any]]:
    submission = get_submission(session, principal=principal, submission_id=submission_id)
    rows = session.execute(
        select(Asset, Review).outerjoin(Review, Review.asset_id == Asset.id)
        .where(Asset.submission_id == submission.id).order_by(Asset.created_at, Asset.id)
    ).all()
    steps = _current_steps(session, [a.id for a, _ in rows])
    out: list[dict[str, Any]] = []
    for asset, review in rows:
        status = asset.status.value
        review_reason = None
        if review is not None and review.reason_code:
            zh, en, advice = REASONS.get(review.reason_code, (review.reason_code, review.reason_code, ""))
            review_reason = {"code": review.reason_code, "zh": zh, "en": en, "advice": advice,
                             "text": review.reason_text}
        out.append({
            "asset_id": str(asset.id),
            "filename": asset.original_filename,
            "kind": asset.kind.value if asset.kind else None,
            "status": status,
            "step": steps.get(asset.id),
            "reason": {"code": asset.reason_code, "detail": asset.reason_detail or "",
                       "advice": PIPELINE_ADVICE.get(status, "")} if asset.reason_code else None,
            "review_status": asset.review_status.value if status == AssetStatus.ready.value else None,
            "review_reason": review_reason,
            "thumb_url": f"/web/media/{asset.id}/thumb" if status == AssetStatus.ready.value else None,
        })
    return out


def _current_steps(session: Session, asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The step each asset is in now (running first, else queued)."""
    if not asset_ids:
        return {}
    jobs = session.execute(
        select(Job.asset_id, Job.step, Job.status)
        .where(Job.asset_id.in_(asset_ids), Job.status.in_([JobStatus.running, JobStatus.queued]))
    ).all()
    current: dict[uuid.UUID, str] = {}
    for asset_id, step, status in jobs:
        if status == JobStatus.running or asset_id not in current:
            current[asset_id] = step
    return current

