"""Step ``tag`` (queue ml): taxonomy tags from submitter metadata, OCR text and (when a model directory is
configured) Chinese-CLIP zero-shot; capture time checked against the week and GPS against the submitter's province.
Each tag records its source and score; editors' tags are never replaced."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.base import NotConfigured, get_model
from models.clip import MIN_VISUAL_SCORE, ZeroShotTagger
from models.tagger import exif_time_gps, match_text, mentions_week, province_check, taxonomy, taxonomy_tags, week_check
from service.db.asset import Asset, AssetKind, Job
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.screening import AssetEmbedding, AssetScreening, AssetTag, Finding, Tag, TagSource
from service.db.submission import Submission
from workers.media_input import load_still, original_exif_image
from workers.pipeline import register

DETECTORS = ("metadata", "visual")
WEEK_TAG = ("职业教育活动周", "Vocational Education Activity Week", "event")


def tag_ids(session: Session, names: list[tuple[str, str, str]]) -> dict[str, object]:
    """Tag ids by name, creating missing tags (concurrent steps may race: ON CONFLICT DO NOTHING)."""
    if not names:
        return {}
    session.execute(insert(Tag).values([{"name": n, "name_en": en, "facet": facet} for n, en, facet in names])
                    .on_conflict_do_nothing(index_elements=["name"]))
    wanted = [n for n, _, _ in names]
    return dict(session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted))).all())


def _visual(session: Session, asset: Asset) -> tuple[list[tuple[str, float]], list[float] | None] | None:
    tagger = get_model(ZeroShotTagger)
    if not tagger.configured():
        return None
    if asset.kind == AssetKind.video:  # keyframes are not kept between steps; videos get metadata and OCR tags
        return [], None
    prompts: dict[str, str] = taxonomy()["visual_prompts"]
    image = load_still(session, asset)
    try:
        labels = tagger.predict(([image], list(prompts.values())))[0]
        embedding = tagger.embed([image])[0]
    except NotConfigured:
        return None
    by_prompt = {v: k for k, v in prompts.items()}
    return [(by_prompt[v.label], v.score) for v in labels[:3] if v.score >= MIN_VISUAL_SCORE], embedding


def tag_asset(session: Session, asset: Asset) -> list[tuple[str, str, float]]:
    """Replace this asset's machine tags and metadata findings; returns (tag, source, score)."""
    submission = session.get(Submission, asset.submission_id)
    campaign = session.get(Campaign, asset.campaign_id)
    org = session.get(Organization, asset.org_id)
    screening = session.get(AssetScreening, asset.id)
    facets = {t.name: (t.en, t.facet) for t in taxonomy_tags()}
    found: dict[tuple[str, TagSource], float] = {}

    def add(name: str, source: TagSource, score: float) -> None:
        found[(name, source)] = max(found.get((name, source), 0.0), score)

    if submission is not None:
        for name in [*submission.theme_tags, submission.activity]:
            if name and name in facets:
                add(name, TagSource.submitter, 1.0)
        for match in match_text(" ".join([submission.title, submission.description, submission.activity,
                                          submission.place])):
            add(match.name, TagSource.metadata, match.score)
    ocr_text = screening.ocr_text if screening else ""
    for match in match_text(ocr_text):
        add(match.name, TagSource.ocr, match.score)
    if mentions_week(ocr_text):
        add(WEEK_TAG[0], TagSource.ocr, 0.95)
    findings: list[Finding] = []
    visual = _visual(session, asset)
    if visual is None:
        findings.append(Finding(detector="visual", label="model_not_configured", score=0.0, detail={
            "detector": "visual", "model": "chinese-clip",
            "reason": "视觉标签模型未配置 / no Chinese-CLIP model in $MEDIADESK_MODEL_DIR/chinese-clip"}))
    else:
        for name, score in visual[0]:
            add(name, TagSource.visual, score)
        if visual[1] is not None:
            session.merge(AssetEmbedding(asset_id=asset.id, model="chinese-clip", embedding=visual[1]))
    capture, lat, lon = asset.capture_time, asset.gps_lat, asset.gps_lon
    if asset.kind == AssetKind.image and (capture is None or lat is None):
        header = original_exif_image(asset)
        if header is not None:
            exif_time, exif_lat, exif_lon = exif_time_gps(header)
            capture = capture or exif_time
            lat, lon = (lat, lon) if lat is not None else (exif_lat, exif_lon)
    if campaign is not None:
        verdict = week_check(capture, campaign.week_start, campaign.week_end)
        findings.append(Finding(detector="metadata", label=f"capture_{verdict}", score=1.0 if verdict ==
                                "outside_week" else 0.0, detail={"capture_time": _iso(capture), "week": [
                                    campaign.week_start.isoformat(), campaign.week_end.isoformat()]}))
    region = (submission.region_code if submission else None) or (org.region_code if org else None)
    place = province_check(lat, lon, region)
    if place != "unknown":
        findings.append(Finding(detector="metadata", label=f"gps_{place.replace('inside', 'in')}_province",
                                score=1.0 if place == "outside"
                                else 0.0, detail={"lat": lat, "lon": lon, "region_code": region}))
    names = sorted({name for name, _ in found})
    ids = tag_ids(session, [(n, *facets.get(n, (WEEK_TAG[1], WEEK_TAG[2])) ) for n in names])
    session.execute(delete(AssetTag).where(AssetTag.asset_id == asset.id, AssetTag.source != TagSource.editor))
    session.execute(delete(Finding).where(Finding.asset_id == asset.id, Finding.detector.in_(DETECTORS)))
    for (name, source), score in sorted(found.items()):
        session.add(AssetTag(asset_id=asset.id, tag_id=ids[name], source=source, score=round(score, 3)))
    for finding in findings:
        finding.asset_id = asset.id
        session.add(finding)
    session.flush()
    return [(name, source.value, score) for (name, source), score in sorted(found.items())]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@register("tag", soft_time_limit=600, time_limit=660)
def tag(session: Session, asset: Asset, job: Job) -> None:
    tag_asset(session, asset)
