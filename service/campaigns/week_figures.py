"""The figures of the ministry's week report (活动周工作报告), gathered from the database in one place.

Counts by province (names from ``service.review.regions``), by kind (photos, videos and the notice's report kinds),
by category (names from ``service.ingest.vocabulary``); featured files with their thumbnail keys; typical cases
(``report`` kind case, accepted or featured); outlet usage (``service.portal.audit.outlet_usage``). Only material
that went through the pipeline (status ready) is counted; reports count once filed."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, literal_column, or_, select
from sqlalchemy.orm import Session

from service.db.asset import Asset, AssetKind, AssetStatus, Rendition, ReviewStatus
from service.db.campaign import Campaign
from service.db.org import Organization
from service.db.reporting import Report, ReportKind, ReportStatus
from service.db.submission import Submission
from service.ingest.vocabulary import CATEGORIES
from service.portal.audit import outlet_usage
from service.review.regions import province_name

KIND_NAMES: dict[str, str] = {"image": "照片", "video": "视频", "plan": "活动方案", "case": "典型案例",
                              "manuscript": "稿件", "summary": "活动总结"}
FEATURED_LIMIT = 24
CASES_LIMIT = 50
EXCERPT_CHARS = 300


@dataclass
class Featured:
    asset_id: str
    title: str
    org: str
    province: str
    kind: str
    thumb_key: str | None


@dataclass
class Case:
    report_id: str
    title: str
    org: str
    province: str
    excerpt: str
    featured: bool


@dataclass
class Outlet:
    name: str
    files: int
    assets: int
    packages: int


@dataclass
class WeekFigures:
    campaign: str
    theme: str
    week: str
    by_region: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    featured: list[Featured] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    outlets: list[Outlet] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _region() -> Any:
    return func.coalesce(Submission.region_code, Organization.region_code)


def week_figures(session: Session, campaign_id: uuid.UUID) -> WeekFigures:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"campaign {campaign_id} not found")
    figures = WeekFigures(campaign=campaign.name, theme=campaign.theme,
                          week=f"{campaign.week_start:%Y年%-m月%-d日}—{campaign.week_end:%-m月%-d日}")
    ready = (Asset.campaign_id == campaign_id, Asset.status == AssetStatus.ready)
    province = func.left(_region(), literal_column("2")).label("province")  # GB/T 2260: 37xxxx → 山东省
    base = (select(province, func.count(Asset.id)).select_from(Asset)
            .join(Submission, Submission.id == Asset.submission_id)
            .join(Organization, Organization.id == Asset.org_id).where(*ready))
    regions: dict[str, int] = {}
    for code, n in session.execute(base.group_by(province)).all():
        name = province_name(code)
        regions[name] = regions.get(name, 0) + n
    figures.by_region = sorted(regions.items(), key=lambda kv: (-kv[1], kv[0]))
    kinds = dict(session.execute(select(Asset.kind, func.count()).where(*ready).group_by(Asset.kind)).all())
    filed = Report.status != ReportStatus.draft
    reports = dict(session.execute(select(Report.kind, func.count()).where(
        Report.campaign_id == campaign_id, filed).group_by(Report.kind)).all())
    figures.by_kind = [(KIND_NAMES[k.value], kinds.get(k, 0)) for k in AssetKind] + [
        (KIND_NAMES[k.value], reports.get(k, 0)) for k in ReportKind]
    categories = session.execute(select(Submission.category, func.count(Asset.id)).select_from(Asset)
                                 .join(Submission, Submission.id == Asset.submission_id).where(*ready)
                                 .group_by(Submission.category)).all()
    figures.by_category = sorted(((CATEGORIES.get(c, ("其他", ""))[0], n) for c, n in categories),
                                 key=lambda kv: (-kv[1], kv[0]))
    featured_n = session.scalar(select(func.count()).select_from(Asset).where(
        *ready, Asset.review_status == ReviewStatus.featured)) or 0
    approved_n = session.scalar(select(func.count()).select_from(Asset).where(
        *ready, Asset.review_status.in_([ReviewStatus.approved, ReviewStatus.featured]))) or 0
    orgs_n = session.scalar(select(func.count(func.distinct(Asset.org_id))).where(*ready)) or 0
    figures.totals = {"files": sum(kinds.values()), "approved": approved_n, "featured": featured_n,
                      "organisations": orgs_n, "reports": sum(reports.values())}
    thumb = (select(Rendition.key).where(Rendition.asset_id == Asset.id, Rendition.name == "thumb")
             .limit(1).scalar_subquery())
    rows = session.execute(
        select(Asset.id, Asset.headline, Submission.title, Organization.name, _region(), Asset.kind, thumb)
        .join(Submission, Submission.id == Asset.submission_id).join(Organization, Organization.id == Asset.org_id)
        .where(*ready, Asset.review_status == ReviewStatus.featured)
        .order_by(Asset.ready_at.desc().nulls_last(), Asset.id).limit(FEATURED_LIMIT)).all()
    figures.featured = [Featured(str(r[0]), r[1] or r[2], r[3], province_name(r[4]), KIND_NAMES[r[5].value], r[6])
                        for r in rows]
    cases = session.execute(
        select(Report.id, Report.title, Report.body, Report.featured, Organization.name, Organization.region_code)
        .join(Organization, Organization.id == Report.org_id)
        .where(Report.campaign_id == campaign_id, Report.kind == ReportKind.case,
               or_(Report.status == ReportStatus.accepted, Report.featured.is_(True)))
        .order_by(Report.featured.desc(), Report.decided_at.desc().nulls_last(), Report.title)
        .limit(CASES_LIMIT)).all()
    figures.cases = [Case(str(r[0]), r[1], r[4], province_name(r[5]), _excerpt(r[2]), bool(r[3])) for r in cases]
    figures.outlets = [Outlet(u.org_name, u.files, u.assets, u.packages)
                       for u in outlet_usage(session, since=campaign.upload_opens_at)]
    return figures


def _excerpt(body: str) -> str:
    """The body's first characters as plain text (Markdown marks dropped)."""
    text = " ".join(line.strip().lstrip("#>*-").strip() for line in (body or "").splitlines() if line.strip())
    text = text.replace("**", "").replace("__", "")
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"
