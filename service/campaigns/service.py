"""Creating and editing campaigns and their taxonomy: validation with stable codes, audit, the current campaign.

Services only flush; the request (or the CLI's ``session_scope``) commits. Dates are Beijing dates; an upload window
entered without a zone is Beijing time and stored in UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.campaigns.seed import copy_seed
from service.core import audit
from service.core.beijing import BEIJING
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.campaign import (
    Campaign,
    CampaignFacet,
    CampaignTag,
    CampaignThemeTag,
    WeekReport,
    campaign_taxonomy,
)

#: Editable limits and their lower bounds.
LIMITS: dict[str, float] = {
    "max_image_bytes": 1, "max_video_bytes": 1, "org_quota_bytes": 1, "min_image_pixels": 0,
    "min_video_height": 0, "min_video_seconds": 0, "max_video_seconds": 1,
}
MAX_LIMIT = 10**15
#: The browser's current campaign (the header's switcher); default: ``default_campaign``.
CAMPAIGN_COOKIE = "campaign"
EDITABLE = ("name", "year", "theme", "week_start", "week_end", "plan_deadline", "summary_deadline",
            "upload_opens_at", "upload_closes_at", *LIMITS)


class CampaignError(Problem, ValueError):
    """A refused campaign or taxonomy change (problem+json with a stable code; the CLI prints it)."""

    def __init__(self, code: str, zh: str, en: str, status: int = 422) -> None:
        super().__init__(status, code, zh, en)


def beijing_moment(value: datetime) -> datetime:
    """A datetime entered without a zone is Beijing time; stored as UTC."""
    return (value if value.tzinfo else value.replace(tzinfo=BEIJING)).astimezone(UTC)


def _check(session: Session, values: dict[str, Any], campaign_id: uuid.UUID | None) -> None:
    name = str(values.get("name") or "").strip()
    if not name:
        raise CampaignError("campaign_name_missing", "请填写活动周名称", "the campaign needs a name")
    clash = session.scalar(select(Campaign.id).where(Campaign.name == name))
    if clash is not None and clash != campaign_id:
        raise CampaignError("campaign_name_taken", f"活动周「{name}」已存在", f"a campaign named {name!r} exists",
                            status=409)
    start, end = values["week_start"], values["week_end"]
    if end < start:
        raise CampaignError("campaign_week_order", "活动周结束日期早于开始日期", "the week ends before it starts")
    if not 2000 <= int(values["year"]) <= 2100 or int(values["year"]) != start.year:
        raise CampaignError("campaign_year_mismatch", "年份须与活动周开始日期的年份一致",
                            "the year must be the year the week starts in")
    plan, summary = values.get("plan_deadline"), values.get("summary_deadline")
    if plan is not None and plan > start:
        raise CampaignError("campaign_deadline_order", "活动方案截止日期须在活动周开始之前（含当天）",
                            "the plan deadline must be on or before the week's first day")
    if summary is not None and summary < end:
        raise CampaignError("campaign_deadline_order", "总结截止日期须在活动周结束之后（含当天）",
                            "the summary deadline must be on or after the week's last day")
    if values["upload_closes_at"] <= values["upload_opens_at"]:
        raise CampaignError("campaign_upload_window", "上传截止时间须晚于上传开始时间",
                            "the upload window closes before it opens")
    for field, low in LIMITS.items():
        if field in values and values[field] is not None and not low <= float(values[field]) <= MAX_LIMIT:
            raise CampaignError("campaign_limit_invalid", f"限额 {field} 须在 {low:g} 与 {MAX_LIMIT:g} 之间",
                                f"limit {field} must be between {low:g} and {MAX_LIMIT:g}")
    if float(values.get("min_video_seconds") or 0) > float(values.get("max_video_seconds") or 1e12):
        raise CampaignError("campaign_limit_invalid", "最短视频时长大于最长视频时长",
                            "the minimum video length exceeds the maximum")


def create_campaign(
    session: Session,
    *,
    year: int,
    name: str,
    theme: str,
    week_start: date,
    week_end: date,
    plan_deadline: date | None = None,
    summary_deadline: date | None = None,
    upload_opens_at: datetime | None = None,
    upload_closes_at: datetime | None = None,
    limits: dict[str, float] | None = None,
    copy_from: uuid.UUID | None = None,
    actor: Principal | None = None,
) -> Campaign:
    """Create a campaign with its own copy of the seed taxonomy (or of campaign ``copy_from``'s). By default uploads
    open at the plan deadline and close when the summary is due (Beijing midnights)."""
    if week_end < week_start:  # checked before the defaults below are derived from it
        raise CampaignError("campaign_week_order", "活动周结束日期早于开始日期", "the week ends before it starts")
    summary_deadline = summary_deadline or week_end + timedelta(days=7)
    opens = upload_opens_at or datetime.combine(plan_deadline or week_start - timedelta(days=14), time(0), BEIJING)
    closes = upload_closes_at or datetime.combine(summary_deadline + timedelta(days=1), time(0), BEIJING)
    values: dict[str, Any] = {
        "year": year, "name": name.strip(), "theme": theme.strip(), "week_start": week_start, "week_end": week_end,
        "plan_deadline": plan_deadline, "summary_deadline": summary_deadline,
        "upload_opens_at": beijing_moment(opens), "upload_closes_at": beijing_moment(closes), **(limits or {}),
    }
    _check(session, values, None)
    campaign = Campaign(**values)
    session.add(campaign)
    session.flush()
    source = None
    if copy_from is not None:
        if session.get(Campaign, copy_from) is None:
            raise not_found("campaign")
        source = taxonomy_document(session, copy_from)
    copy_seed(session, campaign, source)
    audit.record(session, actor=actor, action="campaign.create", target_kind="campaign", target_id=campaign.id,
                 detail={"name": campaign.name, "year": year, "copied_from": str(copy_from) if copy_from else "seed"})
    return campaign


def update_campaign(session: Session, *, campaign_id: uuid.UUID, changes: dict[str, Any],
                    actor: Principal | None) -> Campaign:
    """Apply ``changes`` (fields of ``EDITABLE``) after checking the campaign as a whole."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise not_found("campaign")
    values = {field: getattr(campaign, field) for field in EDITABLE}
    for field, value in changes.items():
        if field not in EDITABLE:
            raise CampaignError("campaign_field_unknown", f"不能修改字段 {field}", f"field {field} cannot be edited")
        values[field] = beijing_moment(value) if isinstance(value, datetime) else value
    if isinstance(values["name"], str):
        values["name"] = values["name"].strip()
    _check(session, values, campaign.id)
    changed = sorted(f for f in EDITABLE if values[f] != getattr(campaign, f))
    for field in changed:
        setattr(campaign, field, values[field])
    session.flush()
    if changed:
        audit.record(session, actor=actor, action="campaign.edit", target_kind="campaign", target_id=campaign.id,
                     detail={"fields": changed})
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.week_start.desc(), Campaign.name)).all())


def get_campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise not_found("campaign")
    return campaign


def default_campaign(session: Session, *, at: datetime | None = None) -> Campaign | None:
    """The campaign open for uploads now (latest first), else the latest week."""
    at = at or datetime.now(UTC)
    return session.scalars(
        select(Campaign).where(Campaign.upload_opens_at <= at, Campaign.upload_closes_at > at)
        .order_by(Campaign.upload_opens_at.desc())).first() or session.scalars(
        select(Campaign).order_by(Campaign.week_start.desc())).first()


def chosen_campaign(session: Session, raw: str | None) -> Campaign | None:
    """The campaign a person chose (cookie value), if it still exists, else the default."""
    if raw:
        try:
            found = session.get(Campaign, uuid.UUID(raw))
        except ValueError:
            found = None
        if found is not None:
            return found
    return default_campaign(session)


def recent_week_reports(session: Session, campaign_id: uuid.UUID | None, limit: int = 5) -> list[WeekReport]:
    """A campaign's generated week reports, newest first (the dashboard lists them)."""
    if campaign_id is None:
        return []
    return list(session.scalars(select(WeekReport).where(WeekReport.campaign_id == campaign_id)
                                .order_by(WeekReport.created_at.desc()).limit(limit)).all())


# --- taxonomy ---------------------------------------------------------------------------------------------------


def taxonomy_document(session: Session, campaign_id: uuid.UUID) -> dict[str, Any]:
    """The campaign's taxonomy in the seed's shape (what the API returns and ``replace_taxonomy`` takes)."""
    get_campaign(session, campaign_id)
    stored = campaign_taxonomy(session, campaign_id)
    facets = session.scalars(select(CampaignFacet).where(CampaignFacet.campaign_id == campaign_id)
                             .order_by(CampaignFacet.position, CampaignFacet.code)).all()
    return {
        "week_keywords": list(stored.week_keywords),
        "theme_tags": [{"name": n, "en": en} for n, en in stored.theme_tags],
        "facets": [{"code": f.code, "name": f.name, "en": f.name_en, "tags": [
            {"name": t.name, "en": t.name_en, "keywords": list(t.synonyms),
             **({"visual_prompt": t.visual_prompt} if t.visual_prompt else {})}
            for t in stored.tags if t.facet == f.code]} for f in facets],
    }


def _text(value: Any, limit: int, what: str) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise CampaignError("taxonomy_invalid", f"{what}「{text[:20]}…」超过 {limit} 个字符",
                            f"{what} {text[:20]!r}… is longer than {limit} characters")
    return text


def _checked_document(document: dict[str, Any]) -> dict[str, Any]:
    """Names present and unique, lengths within the columns, facet codes simple: else ``taxonomy_invalid``."""
    seen_tags: set[str] = set()
    seen_facets: set[str] = set()
    facets = []
    for facet in document.get("facets") or []:
        code = _text(facet.get("code"), 40, "分类代码 facet code")
        if not code or not code.replace("_", "").isascii() or not code.replace("_", "").isalnum():
            raise CampaignError("taxonomy_invalid", f"分类代码「{code}」须为字母、数字或下划线",
                                f"facet code {code!r} must be letters, digits or underscores")
        if code in seen_facets:
            raise CampaignError("taxonomy_invalid", f"分类「{code}」重复", f"facet {code!r} appears twice")
        seen_facets.add(code)
        tags = []
        for tag in facet.get("tags") or []:
            name = _text(tag.get("name"), 40, "标签 tag")
            if not name:
                raise CampaignError("taxonomy_invalid", "标签名称不能为空", "a tag has no name")
            if name in seen_tags:
                raise CampaignError("taxonomy_invalid", f"标签「{name}」重复", f"tag {name!r} appears twice")
            seen_tags.add(name)
            keywords = [_text(k, 80, "同义词 synonym") for k in tag.get("keywords") or []]
            tags.append({"name": name, "en": _text(tag.get("en"), 120, "英文名 English name"),
                         "keywords": [k for k in dict.fromkeys(keywords) if k],
                         "visual_prompt": _text(tag.get("visual_prompt"), 80, "视觉提示 visual prompt") or None})
        facets.append({"code": code, "name": _text(facet.get("name"), 80, "分类名称 facet name") or code,
                       "en": _text(facet.get("en"), 120, "英文名 English name"), "tags": tags})
    themes: list[dict[str, str]] = []
    for theme in document.get("theme_tags") or []:
        name = _text(theme.get("name"), 40, "主题标签 theme tag")
        if not name:
            continue
        if name in {t["name"] for t in themes}:
            raise CampaignError("taxonomy_invalid", f"主题标签「{name}」重复", f"theme tag {name!r} appears twice")
        themes.append({"name": name, "en": _text(theme.get("en"), 120, "英文名 English name")})
    keywords = [_text(k, 80, "活动周关键词 week keyword") for k in document.get("week_keywords") or []]
    return {"facets": facets, "theme_tags": themes, "week_keywords": [k for k in dict.fromkeys(keywords) if k]}


def replace_taxonomy(session: Session, *, campaign_id: uuid.UUID, document: dict[str, Any],
                     actor: Principal | None) -> dict[str, Any]:
    """Replace the campaign's taxonomy, theme tags and week keywords with ``document`` (checked first)."""
    campaign = get_campaign(session, campaign_id)
    checked = _checked_document(document)
    before = taxonomy_document(session, campaign_id)
    session.execute(delete(CampaignThemeTag).where(CampaignThemeTag.campaign_id == campaign_id))
    session.execute(delete(CampaignTag).where(CampaignTag.campaign_id == campaign_id))
    session.execute(delete(CampaignFacet).where(CampaignFacet.campaign_id == campaign_id))
    session.flush()
    copy_seed(session, campaign, checked)
    after = taxonomy_document(session, campaign_id)
    old = {t["name"] for f in before["facets"] for t in f["tags"]}
    new = {t["name"] for f in after["facets"] for t in f["tags"]}
    old_themes = {t["name"] for t in before["theme_tags"]}
    new_themes = {t["name"] for t in after["theme_tags"]}
    audit.record(session, actor=actor, action="taxonomy.edit", target_kind="campaign", target_id=campaign_id,
                 detail={"tags_added": sorted(new - old), "tags_removed": sorted(old - new),
                         "theme_tags_added": sorted(new_themes - old_themes),
                         "theme_tags_removed": sorted(old_themes - new_themes),
                         "tags": len(new), "theme_tags": len(new_themes)})
    return after


def check_theme_tags(session: Session, campaign_id: uuid.UUID, tags: list[str]) -> list[str]:
    """``tags`` if each is one of the campaign's theme tags, else ``unknown_theme_tag``."""
    allowed = set(campaign_taxonomy(session, campaign_id).theme_tag_names())
    unknown = [t for t in tags if t not in allowed]
    if unknown:
        raise CampaignError("unknown_theme_tag", f"未知的主题标签：{'、'.join(unknown)}",
                            f"unknown theme tags for this campaign: {', '.join(unknown)}")
    return list(dict.fromkeys(tags))
