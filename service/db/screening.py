"""Screening results: findings, tags, perceptual hashes, embeddings, duplicate clusters and per-asset screening facts.

Kept out of ``asset`` so that screening can be re-run (its rows replaced) without touching the asset aggregate;
``asset_screening`` is the 1:1 row for OCR text (trigram-searchable), face count and the quality score.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from pgvector.sqlalchemy import BIT, Vector
from sqlalchemy import Float, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, synonym, validates

from service.core.findings import FindingType, finding_type
from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class Finding(IdMixin, TimestampMixin, Base):
    """One detector's verdict on an asset: a vocabulary code (``service.core.findings``), score 0–1 and evidence
    (OCR boxes, worst frame timestamp …). Every finding row is made here, so the code is checked here: a detector
    that publishes a code the vocabulary does not define fails (``UnknownFinding``) instead of storing it.

    The column keeps its historical name ``label``; ``code`` is the same attribute."""

    __tablename__ = "finding"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    detector: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(80), index=True)
    code = synonym("label")
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    @validates("label")
    def _known_code(self, key: str, value: str) -> str:
        finding_type(value)
        return value

    @property
    def type(self) -> FindingType:
        return finding_type(self.label)


class TagSource(enum.StrEnum):
    submitter = "submitter"
    metadata = "metadata"
    ocr = "ocr"
    visual = "visual"
    editor = "editor"


class Tag(IdMixin, TimestampMixin, Base):
    __tablename__ = "tag"

    name: Mapped[str] = mapped_column(String(80), unique=True, doc="zh-CN name, e.g. 开放校园")
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    facet: Mapped[str] = mapped_column(String(20), default="custom", server_default="custom",
                                       doc="activity | theme | scene | industry | people | custom")


class AssetTag(Base):
    __tablename__ = "asset_tag"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True)
    source: Mapped[TagSource] = mapped_column(str_enum(TagSource, "tag_source"), primary_key=True)
    score: Mapped[float] = mapped_column(Float, default=1.0)


class DuplicateCluster(IdMixin, TimestampMixin, Base):
    """Near-duplicate (and exact) copies across submitters and organisations; editors resolve them."""

    __tablename__ = "dup_cluster"

    best_asset_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("asset.id", ondelete="SET NULL"))
    size: Mapped[int] = mapped_column(Integer, default=0)


class SimilarBasis(enum.StrEnum):
    """Why two photos are similar shots: their perceptual hashes (``dedupe``) or their image embeddings (``tag``)."""

    hash = "hash"
    visual = "visual"


class SimilarShot(TimestampMixin, Base):
    """Two photos of one moment that are not copies of each other (a burst, a second exposure, the same scene from
    nearby): a weaker grouping than a duplicate cluster, shown so that an editor can pick one. Kept in both
    directions, one row per basis (each step replaces only its own)."""

    __tablename__ = "similar_shot"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True,
                                                index=True)
    basis: Mapped[str] = mapped_column(String(10), primary_key=True, default=SimilarBasis.hash.value,
                                       server_default=SimilarBasis.hash.value, doc="hash | visual")
    distance: Mapped[int | None] = mapped_column(SmallInteger, doc="PDQ Hamming distance (basis hash)")
    similarity: Mapped[float | None] = mapped_column(Float, doc="cosine similarity of the embeddings (basis visual)")


class AssetScreening(TimestampMixin, Base):
    __tablename__ = "asset_screening"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    ocr_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    faces: Mapped[int | None] = mapped_column(Integer)
    quality_score: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    quality_parts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    cluster_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dup_cluster.id", ondelete="SET NULL"), index=True)
    match_distance: Mapped[int | None] = mapped_column(SmallInteger, doc="Hamming distance to the matched member")

    __table_args__ = (
        Index("ix_asset_screening_ocr_text_trgm", "ocr_text", postgresql_using="gin",
              postgresql_ops={"ocr_text": "gin_trgm_ops"}),
    )


COVERED = ("asset_id", "position", "pdq")


class AssetHash(IdMixin, Base):
    """A PDQ hash of an image (``kind`` image, one row per variant: the whole, central crops, the photo inside its
    frame, local windows) or of a video second (``kind`` video, ``position`` = seconds; variant full or region).
    ``b0``…``b10`` are the hash's 23–24-bit bands for multi-index-hashing lookups (``models.hashing.band_values``),
    offset by 2^24 for a video hash so that one index per band serves both kinds apart."""

    __tablename__ = "asset_hash"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), doc="image | video")
    variant: Mapped[str] = mapped_column(String(10), default="full",
                                         doc="full | c95 | c90 (central crops) | region, region1 (photo in frame)"
                                             " | w0…w4 (local windows)")
    position: Mapped[float] = mapped_column(Float, default=0.0)
    pdq: Mapped[str] = mapped_column(BIT(256))
    quality: Mapped[int] = mapped_column(SmallInteger)
    phash: Mapped[str | None] = mapped_column(String(16))
    b0: Mapped[int] = mapped_column(Integer)
    b1: Mapped[int] = mapped_column(Integer)
    b2: Mapped[int] = mapped_column(Integer)
    b3: Mapped[int] = mapped_column(Integer)
    b4: Mapped[int] = mapped_column(Integer)
    b5: Mapped[int] = mapped_column(Integer)
    b6: Mapped[int] = mapped_column(Integer)
    b7: Mapped[int] = mapped_column(Integer)
    b8: Mapped[int] = mapped_column(Integer)
    b9: Mapped[int] = mapped_column(Integer)
    b10: Mapped[int] = mapped_column(Integer)

    # Covering indexes: a lookup is 11 index-only scans (no heap visits), ≈ 84 bytes per row per index
    # (docs/PERFORMANCE.md, "Duplicate lookup").
    __table_args__ = tuple(Index(f"ix_asset_hash_b{i}", f"b{i}", postgresql_include=list(COVERED))
                           for i in range(11)) + (
        UniqueConstraint("asset_id", "kind", "variant", "position", name="uq_asset_hash_asset_id"),
    )


class AssetEmbedding(Base):
    """Visual embedding (Chinese-CLIP image features) when a model directory is configured."""

    __tablename__ = "asset_embedding"

    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(120))
    embedding: Mapped[list[float]] = mapped_column(Vector())


def finding_summary(detector: str, code: str, score: float, detail: dict[str, Any]) -> dict[str, Any]:
    """One finding as the review queue stores it (``review.findings``): its vocabulary code, kind and severity.

    ``label`` repeats ``code`` for readers written before the vocabulary (pages); names are looked up by code."""
    kind = finding_type(code)
    return {"detector": detector, "code": code, "label": code, "kind": kind.kind.value,
            "severity": int(kind.severity), "score": score, "detail": detail}


def review_summary(session: Session, asset_id: uuid.UUID) -> dict[str, Any]:
    """What the editors' queue shows of an asset's screening: findings, quality, tags, OCR text and cluster."""
    findings = session.scalars(select(Finding).where(Finding.asset_id == asset_id)).all()
    tags = session.execute(
        select(Tag.name, AssetTag.source, AssetTag.score).join(Tag, Tag.id == AssetTag.tag_id)
        .where(AssetTag.asset_id == asset_id)
    ).all()
    row = session.get(AssetScreening, asset_id)
    cluster = session.get(DuplicateCluster, row.cluster_id) if row and row.cluster_id else None
    return {
        "findings": [finding_summary(f.detector, f.label, f.score, f.detail or {}) for f in findings],
        "quality_score": float(row.quality_score) if row and row.quality_score is not None else None,
        "tags": [{"name": name, "source": str(source), "score": score} for name, source, score in tags],
        "ocr_text": row.ocr_text if row else None,
        "cluster_id": cluster.id if cluster else None,
        "cluster_best": (cluster.best_asset_id == asset_id) if cluster else None,
    }
