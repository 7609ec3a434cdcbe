"""Screening results as the asset API shows them, editors' tag changes and duplicate clusters."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.assets.screening_schemas import (
    ClusterMember,
    ClusterOut,
    DuplicatesOut,
    FindingOut,
    QualityOut,
    TagOut,
)
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.asset import Asset
from service.db.screening import AssetScreening, AssetTag, DuplicateCluster, Finding, Tag, TagSource


def tags_of(session: Session, asset_id: uuid.UUID) -> list[TagOut]:
    rows = session.execute(
        select(Tag.name, AssetTag.source, AssetTag.score).join(Tag, Tag.id == AssetTag.tag_id)
        .where(AssetTag.asset_id == asset_id).order_by(AssetTag.score.desc(), Tag.name, AssetTag.source)
    ).all()
    return [TagOut(name=name, source=source.value, score=score) for name, source, score in rows]


def _own(session: Session, principal: Principal, asset_id: uuid.UUID | None) -> uuid.UUID | None:
    """``asset_id`` when ``principal`` may see that asset, else None: another organisation's ids stay hidden."""
    if asset_id is None or principal.is_staff:
        return asset_id
    return asset_id if session.scalar(select(Asset.org_id).where(Asset.id == asset_id)) == principal.org_id else None


def visible_exact_of(session: Session, principal: Principal, asset: Asset) -> uuid.UUID | None:
    return _own(session, principal, asset.exact_of)


def screening_fields(session: Session, asset: Asset, principal: Principal) -> dict[str, Any]:
    """The screening part of ``AssetOut`` for one asset, as ``principal`` may see it."""
    findings = session.scalars(select(Finding).where(Finding.asset_id == asset.id)
                               .order_by(Finding.score.desc(), Finding.detector, Finding.label)).all()
    row = session.get(AssetScreening, asset.id)
    cluster = session.get(DuplicateCluster, row.cluster_id) if row and row.cluster_id else None
    return {
        "findings": [FindingOut(detector=f.detector, label=f.label, score=f.score, detail=f.detail or {})
                     for f in findings],
        "tags": tags_of(session, asset.id),
        "ocr_text": row.ocr_text if row else None,
        "faces": row.faces if row else None,
        "quality": QualityOut(score=row.quality_score, parts=row.quality_parts or {})
        if row and row.quality_score is not None else None,
        "duplicates": DuplicatesOut(exact_of=visible_exact_of(session, principal, asset),
                                    copy_elsewhere=asset.exact_of is not None
                                    and visible_exact_of(session, principal, asset) is None,
                                    cluster_id=cluster.id if cluster else None,
                                    cluster_size=cluster.size if cluster else 0,
                                    best_asset_id=_own(session, principal, cluster.best_asset_id) if cluster else None),
    }


def add_editor_tag(session: Session, *, asset: Asset, name: str) -> list[TagOut]:
    name = name.strip()
    if not name:
        raise Problem(422, "tag_empty", "标签不能为空", "the tag name is empty")
    session.execute(insert(Tag).values(name=name, name_en="", facet="custom")
                    .on_conflict_do_nothing(index_elements=["name"]))
    tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
    session.execute(insert(AssetTag).values(asset_id=asset.id, tag_id=tag_id, source=TagSource.editor, score=1.0)
                    .on_conflict_do_nothing())
    session.flush()
    return tags_of(session, asset.id)


def remove_tag(session: Session, *, asset: Asset, name: str) -> list[TagOut]:
    """Editors remove a tag whatever its source (a machine tag they judged wrong)."""
    tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
    removed = session.execute(delete(AssetTag).where(AssetTag.asset_id == asset.id, AssetTag.tag_id == tag_id)
                              ) if tag_id else None
    if removed is None or not removed.rowcount:  # type: ignore[attr-defined]
        raise not_found("tag")
    session.flush()
    return tags_of(session, asset.id)


def get_cluster(session: Session, cluster_id: uuid.UUID) -> ClusterOut:
    cluster = session.get(DuplicateCluster, cluster_id)
    if cluster is None:
        raise not_found("cluster")
    rows = session.execute(
        select(Asset, AssetScreening).join(AssetScreening, AssetScreening.asset_id == Asset.id)
        .where(AssetScreening.cluster_id == cluster.id).order_by(Asset.created_at, Asset.id)
    ).all()
    members = [ClusterMember(asset_id=a.id, org_id=a.org_id, submission_id=a.submission_id,
                             kind=a.kind.value if a.kind else None, width=a.width, height=a.height,
                             quality_score=s.quality_score, match_distance=s.match_distance,
                             is_best=a.id == cluster.best_asset_id) for a, s in rows]
    return ClusterOut(id=cluster.id, size=cluster.size, best_asset_id=cluster.best_asset_id, members=members)
