"""What a submitter sees per asset: processing step, thumbnail, and the exact reason and advice when it failed,
was rejected as invalid, or was rejected / returned by an editor."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.errors import Problem, forbidden
from service.core.security import Principal
from service.db.asset import Asset, AssetStatus, Job, JobStatus, ReviewStatus
from service.db.org import Role
from service.db.review import Review
from service.ingest.submissions import get_submission
from service.review.reasons import ADVICE_EN, REASONS

#: pipeline rejection code -> what the submitter can do about it (zh-CN, English); the advice matches the reason
_DAMAGED = ("请检查文件是否完整，重新导出后上传原始文件", "Check that the file is complete, export it again and upload "
            "the original")
PIPELINE_ADVICE: dict[str, tuple[str, str]] = {
    "empty_file": ("文件为空，请重新选择原始文件上传", "The file is empty: choose the original file again"),
    "unsupported_format": ("请上传 JPEG、PNG、HEIC、WebP、TIFF 照片或 MP4、MOV 视频",
                           "Upload JPEG, PNG, HEIC, WebP or TIFF photos, or MP4 or MOV videos"),
    "not_media": ("请上传照片或视频文件", "Upload a photo or a video"),
    "playlist_refused": ("请上传视频文件本身，而不是播放列表", "Upload the video file itself, not a playlist"),
    "polyglot_file": ("请从相机或手机重新导出照片后上传", "Export the photo again from the camera or phone"),
    "image_too_large": ("请缩小图片尺寸后上传", "Reduce the picture's pixel size and upload it again"),
    "resolution_too_low": ("分辨率过低：请上传相机或手机拍摄的原图，不要上传截图或经聊天软件压缩的图片",
                           "Resolution too low: upload the camera's original, not a screenshot or a chat-compressed "
                           "copy"),
    "video_too_short": ("请上传更长的视频片段", "Upload a longer clip"),
    "video_too_long": ("请剪辑为较短的片段后分别上传", "Cut the video into shorter clips and upload them separately"),
    "no_video_stream": ("请上传含画面的视频文件", "Upload a video file with pictures"),
    "corrupt_image": _DAMAGED, "image_unreadable": _DAMAGED, "corrupt_video": _DAMAGED, "truncated_video": _DAMAGED,
    "size_mismatch": _DAMAGED, "checksum_mismatch": _DAMAGED,
}
FAILED_ADVICE = ("处理暂时失败，系统会自动重试；如长时间未恢复，请联系编辑重新处理",
                 "Processing failed for now and is retried automatically; if it stays failed, ask an editor")


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
            zh, en, advice = REASONS.get(review.reason_code, ("其他原因", "other reason", ""))
            review_reason = {"code": review.reason_code, "zh": zh, "en": en, "advice": advice,
                             "advice_en": ADVICE_EN.get(review.reason_code, ""), "text": review.reason_text}
        reason = None
        if asset.reason_code:
            detail_zh, _, detail_en = (asset.reason_detail or "").partition(" / ")
            advice_zh, advice_en = (FAILED_ADVICE if status == AssetStatus.failed.value
                                    else PIPELINE_ADVICE.get(asset.reason_code, _DAMAGED))
            reason = {"code": asset.reason_code, "detail": asset.reason_detail or "", "zh": detail_zh,
                      "en": detail_en or detail_zh, "advice": advice_zh, "advice_en": advice_en}
        out.append({
            "asset_id": str(asset.id),
            "filename": asset.original_filename,
            "kind": asset.kind.value if asset.kind else None,
            "status": status,
            "step": steps.get(asset.id),
            "reason": reason,
            "headline": asset.headline,
            "replaces_id": str(asset.replaces_id) if asset.replaces_id else None,
            "caption": asset.caption,
            "created_at": asset.created_at.isoformat(),
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



def caption_file(session: Session, *, principal: Principal, asset_id: uuid.UUID, headline: str,
                 caption: str) -> Asset:
    """The submitter names one file (who, what, where). A file an editor returned goes back to the queue, and the
    change is an audit event beside the editors' own (the review history is kept)."""
    from service.assets.service import get_asset
    from service.db.review_index import sync_review_row
    from service.review import audit, claims

    asset = get_asset(session, principal=principal, asset_id=asset_id, edit=True)
    if principal.role not in (Role.submitter, Role.admin):
        raise forbidden()
    review = claims.load_review(session, asset_id, lock=True) if asset.status == AssetStatus.ready else None
    before = {"headline": asset.headline, "caption": asset.caption,
              "review_status": review.review_status if review else None}
    asset.headline, asset.caption = headline.strip()[:200], caption.strip()[:2000]
    resubmitted = review is not None and review.review_status == ReviewStatus.returned.value
    if review is not None and resubmitted:
        asset.review_status = ReviewStatus.pending
        review.review_status = ReviewStatus.pending.value
        review.version += 1
    after = {"headline": asset.headline, "caption": asset.caption,
             "review_status": review.review_status if review else None}
    changed = {k for k in after if before[k] != after[k]}
    session.flush()
    if review is not None and changed:
        sync_review_row(session, asset_id)  # the queue's search text follows the caption
        audit.record(session, principal=principal, asset_id=asset_id, action="resubmit" if resubmitted else "caption",
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return asset


def replace_file(session: Session, *, principal: Principal, asset_id: uuid.UUID, replaces: uuid.UUID) -> Asset:
    """A new upload (``asset_id``) replaces a file an editor returned (``replaces``) in the same submission: it takes
    over the returned file's headline and caption unless it has its own, and both files' audit logs say so, so the
    review history stays readable from the new file. The new file reaches the queue as any upload does."""
    from service.assets.service import get_asset
    from service.review import audit

    if principal.role not in (Role.submitter, Role.admin):
        raise forbidden()
    new = get_asset(session, principal=principal, asset_id=asset_id, edit=True)
    old = get_asset(session, principal=principal, asset_id=replaces, edit=True)
    if old.submission_id != new.submission_id or old.id == new.id:
        raise Problem(422, "not_same_submission", "替换文件须上传到同一报送中", "the replacement must be in the same "
                      "submission")
    if old.review_status != ReviewStatus.returned:
        raise Problem(409, "not_returned", "只能替换被退回的文件", "only a returned file can be replaced")
    if new.replaces_id is not None:
        raise Problem(409, "already_replacing", "该文件已用于替换其他文件", "this upload already replaces a file")
    new.replaces_id = old.id
    new.headline = new.headline or old.headline
    new.caption = new.caption or old.caption
    audit.record(session, principal=principal, asset_id=old.id, action="replaced",
                 before={}, after={"replaced_by": str(new.id)})
    audit.record(session, principal=principal, asset_id=new.id, action="replacement",
                 before={}, after={"replaces": str(old.id)})
    session.flush()
    return new
