"""The notice's reports (四(四)): an organisation's activity plan, typical cases, manuscripts and its summary.

A report has a formatted Chinese text body (a Markdown subset: paragraphs, headings, lists, emphasis, links; rendered
escaped), attached documents (``report_document``: PDF, DOCX, ODT, plain text) and linked media assets of the same
organisation and campaign. Its status moves along ``TRANSITIONS``: a school files; its province (where the campaign
asks for pre-review) forwards or returns; the ministry accepts or returns. A plan also carries the theme website
address and the liaison. Every change is written to the audit log (``service.core.audit``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, IdMixin, TimestampMixin, str_enum
from service.db.campaign import Campaign
from service.db.org import Organization


class ReportKind(enum.StrEnum):
    plan = "plan"  # 活动方案 (+ 专题网站网址, 联络员), due by the campaign's plan_deadline
    case = "case"  # 典型案例, during the week
    manuscript = "manuscript"  # 稿件, during the week
    summary = "summary"  # 活动总结 (text, pictures, highlights, cases), due by the campaign's summary_deadline


ONE_PER_ORG: frozenset[ReportKind] = frozenset({ReportKind.plan, ReportKind.summary})


class ReportStatus(enum.StrEnum):
    draft = "draft"  # being written; only its organisation sees it
    filed = "filed"  # submitted by its organisation
    forwarded = "forwarded"  # pre-reviewed by the parent organisation (province/committee) and sent on
    returned = "returned"  # sent back with a reason (by the parent organisation or the ministry); can be filed again
    accepted = "accepted"  # accepted by the ministry's desk


TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.draft: frozenset({ReportStatus.filed}),
    ReportStatus.filed: frozenset({ReportStatus.forwarded, ReportStatus.returned, ReportStatus.accepted}),
    ReportStatus.forwarded: frozenset({ReportStatus.accepted, ReportStatus.returned}),
    ReportStatus.returned: frozenset({ReportStatus.filed}),
    ReportStatus.accepted: frozenset(),
}


class Report(IdMixin, TimestampMixin, Base):
    __tablename__ = "report"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"), index=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, "report_kind"))
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus, "report_status"), default=ReportStatus.draft)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="", doc="Markdown subset, zh-CN")
    # plan only
    website_url: Mapped[str | None] = mapped_column(String(500), doc="专题网站网址 (http/https, validated)")
    liaison_name: Mapped[str | None] = mapped_column(String(100))
    liaison_phone: Mapped[str | None] = mapped_column(String(40))
    liaison_email: Mapped[str | None] = mapped_column(String(200))
    # workflow
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    forwarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    forwarded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    featured: Mapped[bool] = mapped_column(default=False, server_default="false")
    search_text: Mapped[str] = mapped_column(
        Text, default="", server_default="", doc="title + body + documents' text, for trigram search"
    )

    campaign: Mapped[Campaign] = relationship(lazy="joined")
    org: Mapped[Organization] = relationship(lazy="joined")

    __table_args__ = (
        Index("ix_report_campaign_kind_status", "campaign_id", "kind", "status"),
        Index(
            "uq_report_one_per_org",
            "campaign_id",
            "org_id",
            "kind",
            unique=True,
            postgresql_where=text("kind IN ('plan', 'summary')"),
        ),
        Index(
            "ix_report_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )


class ReportAsset(IdMixin, Base):
    """A media asset the report references (same organisation and campaign)."""

    __tablename__ = "report_asset"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("report_id", "asset_id", name="uq_report_asset_report_id_asset_id"),)


class DocumentType(enum.StrEnum):
    pdf = "pdf"
    docx = "docx"
    odt = "odt"
    txt = "txt"


class DocumentStatus(enum.StrEnum):
    pending = "pending"  # stored, waiting for inspection and text extraction
    ready = "ready"
    rejected = "rejected"  # hostile or over the campaign's limits; reject_code says why


class ReportDocument(IdMixin, TimestampMixin, Base):
    """A document attached to a report. Typed by content, never by its name; stored privately in S3."""

    __tablename__ = "report_document"

    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    doc_type: Mapped[DocumentType | None] = mapped_column(str_enum(DocumentType, "document_type"))
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(500))
    thumbnail_key: Mapped[str | None] = mapped_column(String(500))
    pages: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[DocumentStatus] = mapped_column(
        str_enum(DocumentStatus, "document_status"), default=DocumentStatus.pending
    )
    reject_code: Mapped[str | None] = mapped_column(String(60))
    reject_detail: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        default=list,
        server_default="[]",
        doc="[{code, score, evidence}] with codes of service.core.findings, from the document's text",
    )
