"""The week's summary for the ministry (活动周总结): submitted, approved, featured and downloaded material
per province or per organisation."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, func, literal_column, select
from sqlalchemy.orm import Session

from service.db.asset import Asset, AssetKind, AssetStatus, ReviewStatus
from service.db.org import Organization, OrgKind
from service.db.portal import Download
from service.db.submission import Submission


class Grouping(enum.StrEnum):
    region = "region"
    organization = "organization"


@dataclass(frozen=True)
class SummaryRow:
    key: str
    name: str
    region_code: str
    submissions: int
    submitted: int
    photos: int
    videos: int
    approved: int
    featured: int
    downloaded_assets: int
    downloads: int


COUNTS = ("submissions", "submitted", "photos", "videos", "approved", "featured", "downloaded_assets", "downloads")
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "地区/单位 Region/organisation"), ("region_code", "行政区划代码 Region code"),
    ("submissions", "报送条目 Submissions"), ("submitted", "上传素材 Assets submitted"),
    ("photos", "图片 Photos"), ("videos", "视频 Videos"), ("approved", "审核通过 Approved"),
    ("featured", "精选 Featured"), ("downloaded_assets", "被媒体下载素材 Assets downloaded"),
    ("downloads", "下载次数 Downloads"),
)


def _facts(campaign_id: uuid.UUID | None) -> Select[tuple[object, ...]]:
    """One row per asset (or per submission without assets) with its organisation, province and download count."""
    downloads = (select(Download.asset_id.label("asset_id"), func.count(Download.id).label("n"))
                 .where(Download.asset_id.is_not(None)).group_by(Download.asset_id).subquery())
    region = func.coalesce(Submission.region_code, Organization.region_code, "")
    query = (select(Submission.id.label("submission_id"), Organization.id.label("org_id"),
                    Organization.name.label("org_name"), region.label("region_code"),
                    # GB/T 2260: the first two digits name the province; 370100 → 370000.
                    func.concat(func.substr(region, 1, 2), "0000").label("province"),
                    Asset.id.label("asset_id"), Asset.status.label("status"), Asset.kind.label("kind"),
                    Asset.review_status.label("review_status"), downloads.c.n.label("downloads"))
             .select_from(Submission)
             .join(Organization, Organization.id == Submission.org_id)
             .outerjoin(Asset, Asset.submission_id == Submission.id)
             .outerjoin(downloads, downloads.c.asset_id == Asset.id))
    if campaign_id is not None:
        query = query.where(Submission.campaign_id == campaign_id)
    return query


def week_summary(session: Session, *, campaign_id: uuid.UUID | None, group: Grouping) -> list[SummaryRow]:
    facts = _facts(campaign_id).subquery()
    counted = facts.c.status != AssetStatus.uploading.value
    approved = facts.c.review_status.in_((ReviewStatus.approved.value, ReviewStatus.featured.value))
    measures = (
        func.count(func.distinct(facts.c.submission_id)).label("submissions"),
        func.count(facts.c.asset_id).filter(counted).label("submitted"),
        func.count(facts.c.asset_id).filter(counted, facts.c.kind == AssetKind.image.value).label("photos"),
        func.count(facts.c.asset_id).filter(counted, facts.c.kind == AssetKind.video.value).label("videos"),
        func.count(facts.c.asset_id).filter(approved).label("approved"),
        func.count(facts.c.asset_id).filter(facts.c.review_status == ReviewStatus.featured.value).label("featured"),
        func.count(facts.c.downloads).label("downloaded_assets"),
        func.coalesce(func.sum(facts.c.downloads), 0).label("downloads"),
    )
    if group == Grouping.region:
        names = (select(Organization.region_code, func.min(Organization.name).label("name"))
                 .where(Organization.kind == OrgKind.province).group_by(Organization.region_code).subquery())
        query = (select(facts.c.province.label("key"), func.coalesce(names.c.name, facts.c.province).label("name"),
                        facts.c.province.label("region_code"), *measures)
                 .select_from(facts).outerjoin(names, names.c.region_code == facts.c.province)
                 .group_by(facts.c.province, names.c.name))
    else:
        query = (select(cast(facts.c.org_id, String).label("key"), facts.c.org_name.label("name"),
                        func.min(facts.c.region_code).label("region_code"), *measures)
                 .select_from(facts).group_by(facts.c.org_id, facts.c.org_name))
    rows = session.execute(query.order_by(literal_column("submitted").desc(), literal_column("name"))).mappings()
    # SUM() of bigint is numeric (Decimal) in PostgreSQL: counts leave as plain ints for JSON and spreadsheets.
    return [SummaryRow(str(row["key"]), str(row["name"]), str(row["region_code"] or ""),
                       *(int(row[k] or 0) for k in COUNTS)) for row in rows]


def totals(rows: list[SummaryRow]) -> SummaryRow:
    def total(field: str) -> int:
        return sum(int(getattr(r, field)) for r in rows)

    return SummaryRow(key="total", name="合计 Total", region_code="", submissions=total("submissions"),
                      submitted=total("submitted"), photos=total("photos"), videos=total("videos"),
                      approved=total("approved"), featured=total("featured"),
                      downloaded_assets=total("downloaded_assets"), downloads=total("downloads"))
