"""Step ``screen`` (queue ml): nudity, violence/weapons (when configured), OCR + promotion rules + QR codes, faces
and technical quality. Videos are screened on sampled keyframes; each finding links its worst frame's timestamp."""

from __future__ import annotations

from typing import Any

from PIL import Image
from sqlalchemy import delete
from sqlalchemy.orm import Session

from models.base import NotConfigured, get_model, unload_idle
from models.faces import count_faces
from models.nsfw import NsfwClassifier, screen_nudity
from models.ocr import Ocr
from models.qr import find_barcodes
from models.quality import Quality, image_quality, sharpness, video_quality
from models.safety import SafetyClassifier
from models.text_rules import check_text
from service.db.asset import Asset, AssetKind, Job
from service.db.screening import AssetScreening, Finding
from service.db.submission import Submission
from workers.media_input import load_keyframes, load_still
from workers.pipeline import register

DETECTORS = ("nudity", "safety", "text", "qr", "faces", "quality", "ocr")
NUDITY_FLAG = 0.6


def _frames(session: Session, asset: Asset) -> tuple[list[tuple[float | None, Image.Image]], Quality]:
    if asset.kind == AssetKind.video:
        analysis = load_keyframes(session, asset, uniform_every=5.0, max_keyframes=40)
        frames: list[tuple[float | None, Image.Image]] = [(k.t, k.image) for k in analysis.keyframes]
        return frames, video_quality(analysis, [sharpness(image) for _, image in frames])
    image = load_still(session, asset)
    return [(None, image)], image_quality(image, asset.width, asset.height)


def _safety(images: list[Image.Image]) -> list[dict[str, float]] | None:
    try:
        return get_model(SafetyClassifier).predict(images)
    except NotConfigured:
        return None


def screen_asset(session: Session, asset: Asset) -> list[Finding]:
    """Compute every screening finding for ``asset`` and replace earlier ones (idempotent)."""
    unload_idle()
    frames, quality = _frames(session, asset)
    images = [image for _, image in frames]
    nsfw_scores = get_model(NsfwClassifier).predict(images) if images else []
    safety = _safety(images)
    findings: list[Finding] = []
    worst: dict[str, Any] = {"score": -1.0}
    texts: list[str] = []
    most_faces: dict[str, Any] = {"count": 0, "boxes": [], "t": None}
    ocr_cost = 0.0
    for index, (t, image) in enumerate(frames):
        nudity = screen_nudity(image, nsfw_scores[index])
        score = max(nudity.nsfw_score, nudity.exposed_score)
        if score > worst["score"]:
            worst = {"score": score, "t": t, "nsfw_score": nudity.nsfw_score, "detections": nudity.detections}
        faces, boxes = count_faces(image, nudity.faces)
        if faces > most_faces["count"]:
            most_faces = {"count": faces, "boxes": boxes, "t": t}
        ocr = get_model(Ocr).predict(image)
        ocr_cost += ocr.seconds
        if ocr.text and ocr.text not in texts:
            texts.append(ocr.text)
        for hit in check_text(ocr.text, "ocr"):
            boxes_hit = [line.box for line in ocr.lines if hit.text.replace(" ", "") in line.text.replace(" ", "")]
            findings.append(Finding(detector="text", label=hit.label, score=0.9,
                                    detail={"text": hit.text, "source": "ocr", "t": t, "boxes": boxes_hit}))
        for code in find_barcodes(image):
            findings.append(Finding(detector="qr", label="qr_code" if "QR" in code.format else "barcode",
                                    score=1.0, detail={"text": code.text, "format": code.format, "box": code.box,
                                                       "t": t}))
        if safety is not None:
            for label, value in safety[index].items():
                findings.append(Finding(detector="safety", label=label, score=value, detail={"t": t}))
    findings.append(Finding(detector="nudity", label="nudity" if worst["score"] >= NUDITY_FLAG else "nudity_score",
                            score=round(max(worst["score"], 0.0), 4),
                            detail={"worst_frame_t": worst.get("t"), "nsfw_score": worst.get("nsfw_score"),
                                    "detections": worst.get("detections", []), "frames": len(frames)}))
    if safety is None:
        findings.append(Finding(detector="safety", label="not_configured", score=0.0,
                                detail={"reason": "暴力/武器/吸烟识别模型未配置 / no violence-weapon-smoking model in "
                                                  "$MEDIADESK_MODEL_DIR/safety"}))
    submission = session.get(Submission, asset.submission_id)
    caption = " ".join(filter(None, [submission.title, submission.description] if submission else []) )
    for hit in check_text(" ".join([caption, asset.caption or ""]), "caption"):
        findings.append(Finding(detector="text", label=hit.label, score=0.8, detail={"text": hit.text,
                                                                                       "source": "caption"}))
    if most_faces["count"]:
        findings.append(Finding(detector="faces", label="faces", score=1.0, detail=most_faces))
    for issue in quality.issues:
        findings.append(Finding(detector="quality", label=issue, score=round(1 - quality.score / 100, 2),
                                detail={key: quality.parts.get(key) for key in ("black_segments", "frozen_segments",
                                        "silent_segments", "laplacian_variance", "luma", "width", "height")
                                        if key in quality.parts}))
    findings.append(Finding(detector="ocr", label="ocr_cost", score=0.0,
                            detail={"seconds": round(ocr_cost, 3), "frames": len(frames)}))
    session.execute(delete(Finding).where(Finding.asset_id == asset.id, Finding.detector.in_(DETECTORS)))
    for finding in findings:
        finding.asset_id = asset.id
        session.add(finding)
    row = session.get(AssetScreening, asset.id) or AssetScreening(asset_id=asset.id)
    row.ocr_text = "\n".join(texts)[:20000]
    row.faces = most_faces["count"]
    row.quality_score, row.quality_parts = quality.score, quality.parts
    session.add(row)
    session.flush()
    return findings


@register("screen", soft_time_limit=1800, time_limit=1900)
def screen(session: Session, asset: Asset, job: Job) -> None:
    screen_asset(session, asset)
