"""Step ``tag`` (queue ml): per-file tags from per-file evidence, suggestions for the submission, and the
capture-time and place checks. Reads no original: EXIF facts are what ``probe`` stored on the asset.

* Per-file tags (``asset_tag``) need evidence from the file itself: its OCR text (``ocr``), its own caption
  (``metadata``), Chinese-CLIP zero-shot on its pixels when a model directory is configured (``visual``). The
  submitter's explicit choices for the submission (theme tags, activity) are kept as ``submitter`` tags.
* The taxonomy is the asset's campaign's (``service.db.campaign.campaign_taxonomy``: stored per campaign, edited on
  the campaign pages); the shipped seed is only copied into new campaigns.
* Taxonomy tags matched in the submission's text (title, description, activity, place) describe the submission, not
  each of its files (a cup video in a report about appliance repair is not 家电维修): they are stored once on the
  submission as suggestions with their evidence (``submission.suggested_tags``), shown with that source.
* With a model, the image embedding is stored (``asset_embedding``) and compared with the embeddings of photos of
  the same moment (same campaign, capture time within minutes) or the same submission: those at least
  ``models.clip.SIMILAR_SHOT_MIN_COSINE`` alike and not in the photo's duplicate cluster become visual similar shots
  (``similar_shot``, basis ``visual``; ``workers.duplicates.visual_neighbours``).
* Findings use the vocabulary (``service.core.findings``): ``capture_in_week``/``capture_outside_week``/
  ``capture_unknown``, ``gps_in_province``/``gps_outside_province``, ``model_not_configured``.

Editors' tags are never replaced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.base import NotConfigured, get_model
from models.clip import MIN_VISUAL_SCORE, SIMILAR_SHOT_MIN_COSINE, ZeroShotTagger
from models.tagger import TaxonomyTag, match_text, mentions_week, province_check, week_check
from service.core.findings import finding_type
from service.db.asset import Asset, AssetKind, Job
from service.db.campaign import Campaign, CampaignTaxonomy, campaign_taxonomy
from service.db.org import Organization
from service.db.screening import AssetEmbedding, AssetScreening, AssetTag, Finding, Tag, TagSource
from service.db.submission import Submission
from workers.duplicates import record_visual_similar, visual_neighbours
from workers.media_input import load_still
from workers.pipeline import register
from workers.screening import NOT_CONFIGURED

DETECTORS = ("metadata", "visual")
WEEK_TAG = ("职业教育活动周", "Vocational Education Activity Week", "event")
#: Where submission suggestions come from (shown next to them).
SUBMISSION_SOURCE = "submission_text"
VISUAL_MODEL = "chinese-clip"


def tag_ids(session: Session, names: list[tuple[str, str, str]]) -> dict[str, object]:
    """Tag ids by name, creating missing tags (concurrent steps may race: ON CONFLICT DO NOTHING)."""
    if not names:
        return {}
    session.execute(insert(Tag).values([{"name": n, "name_en": en, "facet": facet} for n, en, facet in names])
                    .on_conflict_do_nothing(index_elements=["name"]))
    wanted = [n for n, _, _ in names]
    return dict(session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted))).all())


def model_tags(stored: CampaignTaxonomy) -> tuple[TaxonomyTag, ...]:
    """The campaign's stored tags as the tagger's plain values."""
    return tuple(TaxonomyTag(t.name, t.name_en, t.facet, t.synonyms) for t in stored.tags)


def _visual(session: Session, asset: Asset,
            prompts: dict[str, str]) -> tuple[list[tuple[str, float]], list[float] | None] | None:
    tagger = get_model(ZeroShotTagger)
    if not tagger.configured():
        return None
    if asset.kind == AssetKind.video:  # keyframes are not kept between steps; videos get OCR tags
        return [], None
    image = load_still(session, asset)
    try:  # the embedding is kept without prompts too: similar shots need it
        labels = tagger.predict(([image], list(prompts.values())))[0] if prompts else []
        embedding = tagger.embed([image])[0]
    except NotConfigured:
        return None
    by_prompt = {v: k for k, v in prompts.items()}
    return [(by_prompt[v.label], v.score) for v in labels[:3] if v.score >= MIN_VISUAL_SCORE], embedding


def submission_suggestions(submission: Submission, tags: tuple[TaxonomyTag, ...]) -> list[dict[str, Any]]:
    """Taxonomy tags matched in the submission's own text, with their evidence: suggestions for the submission."""
    text = " ".join([submission.title, submission.description, submission.activity, submission.place])
    return [{"name": m.name, "facet": m.facet, "score": m.score, "evidence": list(m.evidence),
             "source": SUBMISSION_SOURCE} for m in sorted(match_text(text, tags), key=lambda m: (-m.score, m.name))]


def _finding(detector: str, code: str, score: float, detail: dict[str, Any]) -> Finding:
    return Finding(detector=detector, label=finding_type(code).code, score=score, detail=detail)


def tag_asset(session: Session, asset: Asset) -> list[tuple[str, str, float]]:
    """Replace this asset's machine tags and metadata findings; returns (tag, source, score)."""
    submission = session.get(Submission, asset.submission_id)
    campaign = session.get(Campaign, asset.campaign_id)
    org = session.get(Organization, asset.org_id)
    screening = session.get(AssetScreening, asset.id)
    stored = campaign_taxonomy(session, asset.campaign_id)
    tags = model_tags(stored)
    facets = {t.name: (t.en, t.facet) for t in tags}
    found: dict[tuple[str, TagSource], float] = {}

    def add(name: str, source: TagSource, score: float) -> None:
        found[(name, source)] = max(found.get((name, source), 0.0), score)

    if submission is not None:
        for name in [*submission.theme_tags, submission.activity]:
            if name and name in facets:
                add(name, TagSource.submitter, 1.0)
        suggestions = submission_suggestions(submission, tags)
        if submission.suggested_tags != suggestions:
            submission.suggested_tags = suggestions
    for match in match_text(asset.caption or "", tags):  # the file's own caption is per-file evidence
        add(match.name, TagSource.metadata, match.score)
    ocr_text = screening.ocr_text if screening else ""
    for match in match_text(ocr_text, tags):
        add(match.name, TagSource.ocr, match.score)
    if mentions_week(ocr_text, stored.week_keywords):
        add(WEEK_TAG[0], TagSource.ocr, 0.95)
    findings: list[Finding] = []
    visual = _visual(session, asset, stored.visual_prompts)
    if visual is None:
        findings.append(_finding("visual", NOT_CONFIGURED, 0.0, {
            "model": VISUAL_MODEL, "purpose": "visual_tags",
            "reason": "视觉标签模型未配置 / no Chinese-CLIP model in $MEDIADESK_MODEL_DIR/chinese-clip"}))
    else:
        for name, score in visual[0]:
            add(name, TagSource.visual, score)
        if visual[1] is not None:
            session.merge(AssetEmbedding(asset_id=asset.id, model=VISUAL_MODEL, embedding=visual[1]))
            session.flush()
            record_visual_similar(session, asset.id, visual_neighbours(
                session, asset, visual[1], VISUAL_MODEL, SIMILAR_SHOT_MIN_COSINE))
    findings += _place_and_time(asset, campaign, submission, org)
    names = sorted({name for name, _ in found})
    ids = tag_ids(session, [(n, *facets.get(n, (WEEK_TAG[1], WEEK_TAG[2]))) for n in names])
    session.execute(delete(AssetTag).where(AssetTag.asset_id == asset.id, AssetTag.source != TagSource.editor))
    session.execute(delete(Finding).where(Finding.asset_id == asset.id, Finding.detector.in_(DETECTORS)))
    for (name, source), score in sorted(found.items()):
        session.add(AssetTag(asset_id=asset.id, tag_id=ids[name], source=source, score=round(score, 3)))
    for finding in findings:
        finding.asset_id = asset.id
        session.add(finding)
    session.flush()
    return [(name, source.value, score) for (name, source), score in sorted(found.items())]


def _place_and_time(asset: Asset, campaign: Campaign | None, submission: Submission | None,
                    org: Organization | None) -> list[Finding]:
    """Capture time against the week and GPS against the province, from what ``probe`` stored (no original read)."""
    findings: list[Finding] = []
    capture, lat, lon = asset.capture_time, asset.gps_lat, asset.gps_lon
    if campaign is not None:
        verdict = week_check(capture, campaign.week_start, campaign.week_end)
        zone = (asset.probe or {}).get("capture_time_zone")
        findings.append(_finding("metadata", f"capture_{verdict}", 1.0 if verdict == "outside_week" else 0.0, {
            "capture_time": _iso(capture), "capture_time_zone": zone,
            "week": [campaign.week_start.isoformat(), campaign.week_end.isoformat()]}))
    region = (submission.region_code if submission else None) or (org.region_code if org else None)
    place = province_check(lat, lon, region)
    if place != "unknown":
        code = "gps_in_province" if place == "inside" else "gps_outside_province"
        findings.append(_finding("metadata", code, 1.0 if place == "outside" else 0.0,
                                 {"lat": lat, "lon": lon, "region_code": region}))
    return findings


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@register("tag", soft_time_limit=600, time_limit=660)
def tag(session: Session, asset: Asset, job: Job) -> None:
    tag_asset(session, asset)
