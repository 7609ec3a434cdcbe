"""A campaign is one year's Activity Week with its dates, deadlines, upload limits, theme tags and taxonomy.

The taxonomy (facets, tags with zh/en names, synonyms and visual prompts) and the theme tags a submitter may choose are
stored per campaign: the tag step and the forms read them from here (``campaign_taxonomy``). The shipped seed
(``service/campaigns/seed_taxonomy.json``) is only copied into a new campaign. ``week_report`` rows are the generated
ministry's week reports (DOCX and PDF in S3)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Date, DateTime, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, str_enum

#: A plan or summary with pictures is a few MB; 50 MB leaves room for a scanned one.
DEFAULT_MAX_DOCUMENT_BYTES = 50 * 1024**2
DEFAULT_MAX_DOCUMENT_PAGES = 300


class Campaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "campaign"

    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    theme: Mapped[str] = mapped_column(String(200), default="")
    week_start: Mapped[date] = mapped_column(Date)
    week_end: Mapped[date] = mapped_column(Date)
    plan_deadline: Mapped[date | None] = mapped_column(Date)
    summary_deadline: Mapped[date | None] = mapped_column(Date)
    upload_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    upload_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: words in OCR text that name the week itself (tag 职业教育活动周)
    week_keywords: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list, server_default="{}")

    max_image_bytes: Mapped[int] = mapped_column(BigInteger, default=200 * 1024**2)
    max_video_bytes: Mapped[int] = mapped_column(BigInteger, default=8 * 1024**3)
    org_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=200 * 1024**3)
    min_image_pixels: Mapped[int] = mapped_column(default=640 * 480)
    min_video_height: Mapped[int] = mapped_column(default=360)
    min_video_seconds: Mapped[float] = mapped_column(default=1.0)
    max_video_seconds: Mapped[float] = mapped_column(default=30 * 60.0)
    # a report's documents (PDF, DOCX, ODT, text): refused above these at upload and by the document worker
    max_document_bytes: Mapped[int] = mapped_column(BigInteger, default=DEFAULT_MAX_DOCUMENT_BYTES,
                                                    server_default=str(DEFAULT_MAX_DOCUMENT_BYTES))
    max_document_pages: Mapped[int] = mapped_column(default=DEFAULT_MAX_DOCUMENT_PAGES,
                                                    server_default=str(DEFAULT_MAX_DOCUMENT_PAGES))

    # hierarchy (service.hierarchy): members' material reaches the ministry once their province/committee forwards it
    prereview: Mapped[bool] = mapped_column(default=False, server_default="false")
    direct_submissions: Mapped[bool] = mapped_column(
        default=False, server_default="false",
        doc="with prereview on, the ministry also sees members' material its parent has not decided on yet")

    def upload_open(self, at: datetime) -> bool:
        return self.upload_opens_at <= at < self.upload_closes_at


class CampaignFacet(IdMixin, Base):
    """A facet of the campaign's taxonomy (activity, theme, scene, industry …)."""

    __tablename__ = "campaign_facet"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "code", name="uq_campaign_facet_code"),)


class CampaignTag(IdMixin, Base):
    """A taxonomy tag of a campaign: matched in text by its name and synonyms; ``visual_prompt`` for zero-shot."""

    __tablename__ = "campaign_tag"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    facet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign_facet.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    synonyms: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    visual_prompt: Mapped[str | None] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_campaign_tag_name"),)


class CampaignThemeTag(IdMixin, Base):
    """A theme tag a submitter may attach to a submission of this campaign (三融, 四开放 …)."""

    __tablename__ = "campaign_theme_tag"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("campaign_id", "name", name="uq_campaign_theme_tag_name"),)


@dataclass(frozen=True)
class TaxonomyEntry:
    name: str
    name_en: str
    facet: str
    synonyms: tuple[str, ...]
    visual_prompt: str | None


@dataclass(frozen=True)
class CampaignTaxonomy:
    """A campaign's stored taxonomy as plain values (what the tag step and the forms read)."""

    tags: tuple[TaxonomyEntry, ...]
    theme_tags: tuple[tuple[str, str], ...]
    week_keywords: tuple[str, ...]

    @property
    def visual_prompts(self) -> dict[str, str]:
        return {t.name: t.visual_prompt for t in self.tags if t.visual_prompt}

    def theme_tag_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.theme_tags)


def campaign_taxonomy(session: Session, campaign_id: uuid.UUID) -> CampaignTaxonomy:
    """The one reader of a campaign's taxonomy, theme tags and week keywords."""
    rows = session.execute(
        select(CampaignTag, CampaignFacet.code)
        .join(CampaignFacet, CampaignFacet.id == CampaignTag.facet_id)
        .where(CampaignTag.campaign_id == campaign_id)
        .order_by(CampaignFacet.position, CampaignTag.position, CampaignTag.name)
    ).all()
    tags = tuple(TaxonomyEntry(t.name, t.name_en, code, tuple(t.synonyms or ()), t.visual_prompt) for t, code in rows)
    themes = session.execute(
        select(CampaignThemeTag.name, CampaignThemeTag.name_en)
        .where(CampaignThemeTag.campaign_id == campaign_id)
        .order_by(CampaignThemeTag.position, CampaignThemeTag.name)
    ).all()
    keywords = session.scalar(select(Campaign.week_keywords).where(Campaign.id == campaign_id)) or []
    return CampaignTaxonomy(tags, tuple((n, en) for n, en in themes), tuple(keywords))


class WeekReportStatus(enum.StrEnum):
    pending = "pending"
    ready = "ready"
    failed = "failed"


class WeekReport(IdMixin, TimestampMixin, Base):
    """One generated ministry's week report of a campaign: DOCX and PDF in S3, with the figures they show."""

    __tablename__ = "week_report"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    status: Mapped[WeekReportStatus] = mapped_column(
        str_enum(WeekReportStatus, "week_report_status"), default=WeekReportStatus.pending)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    docx_key: Mapped[str | None] = mapped_column(String(300))
    pdf_key: Mapped[str | None] = mapped_column(String(300))
    figures: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
