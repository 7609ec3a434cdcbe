"""Step ``screen`` (queue ml): the detector plugins of ``workers.screening`` in order over the asset's frames (a
photo, or a video's sampled keyframes); their findings replace earlier ones and the OCR text, face count and quality
score go to ``asset_screening``."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models.base import unload_idle
from service.db.asset import Asset, AssetKind, Job
from service.db.screening import AssetScreening, Finding
from service.db.submission import Submission
from workers.media_input import load_keyframes, load_still
from workers.pipeline import register
from workers.screening import DETECTORS, Frame, Media, run_detectors

#: The ``finding.detector`` values this step owns (a re-run replaces exactly these rows).
DETECTOR_NAMES = tuple(d.name for d in DETECTORS)


def media_of(session: Session, asset: Asset) -> Media:
    """The frames the detectors look at, and the caption text the text rules check."""
    submission = session.get(Submission, asset.submission_id)
    caption = " ".join(filter(None, [submission.title, submission.description] if submission else []))
    caption = " ".join(filter(None, [caption, asset.caption or ""]))
    if asset.kind == AssetKind.video:
        analysis = load_keyframes(session, asset, uniform_every=5.0, max_keyframes=40)
        return Media("video", [Frame(k.t, k.image) for k in analysis.keyframes], analysis.width, analysis.height,
                     video=analysis, caption=caption)
    return Media("image", [Frame(None, load_still(session, asset))], asset.width, asset.height, caption=caption)


def screen_asset(session: Session, asset: Asset) -> list[Finding]:
    """Run every detector on ``asset`` and replace its earlier screening findings (idempotent)."""
    unload_idle()
    screening, results = run_detectors(media_of(session, asset))
    findings = [Finding(asset_id=asset.id, detector=r.detector, code=f.code, score=f.score, detail=f.detail)
                for r in results for f in r.findings]
    session.execute(delete(Finding).where(Finding.asset_id == asset.id, Finding.detector.in_(DETECTOR_NAMES)))
    session.add_all(findings)
    row = session.get(AssetScreening, asset.id) or AssetScreening(asset_id=asset.id)
    row.ocr_text = screening.ocr_text[:20000]
    row.faces = screening.faces
    quality = screening.quality
    row.quality_score, row.quality_parts = (quality.score, quality.parts) if quality else (None, {})
    session.add(row)
    session.flush()
    return findings


@register("screen", soft_time_limit=1800, time_limit=1900)
def screen(session: Session, asset: Asset, job: Job) -> None:
    screen_asset(session, asset)
