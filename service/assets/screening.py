"""Screening results as the asset API shows them, editors' tag changes and duplicate clusters."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.assets.screening_schemas import (
    ClusterMember,
    ClusterOut,
    DuplicatesOut,
    FindingOut,
    QualityOut,
    TagOut,
)
from service.core import orgscope
from service.core.errors import not_found
from service.core.findings import FindingKind
from service.core.security import Principal
from service.db.asset import Asset
from service.db.screening import AssetScreening, AssetTag, DuplicateCluster, Finding, Tag
from service.db.submission import Submission
from service.ingest.schemas import SuggestedTagOut


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
    org_id = session.scalar(select(Asset.org_id).where(Asset.id == asset_id))
    return asset_id if org_id is not None and orgscope.can_see_org(session, principal, org_id) else None


def visible_exact_of(session: Session, principal: Principal, asset: Asset) -> uuid.UUID | None:
    return _own(session, principal, asset.exact_of)


def suggestions_of(session: Session, submission_id: uuid.UUID) -> list[SuggestedTagOut]:
    """The submission's tag suggestions (matched in its text by the tag step), labelled as from the submission."""
    found = session.scalar(select(Submission.suggested_tags).where(Submission.id == submission_id)) or []
    return [SuggestedTagOut.model_validate(s) for s in found]


#: Risks first, then quality issues, then facts.
KIND_ORDER = {FindingKind.risk: 0, FindingKind.quality: 1, FindingKind.fact: 2}


def finding_out(finding: Finding) -> FindingOut:
    kind = finding.type
    return FindingOut(code=kind.code, name=kind.name_zh, name_en=kind.name_en, kind=kind.kind.value,
                      severity=int(kind.severity), detector=finding.detector, score=finding.score,
                      detail=finding.detail or {})


def screening_fields(session: Session, asset: Asset, principal: Principal) -> dict[str, Any]:
    """The screening part of ``AssetOut`` for one asset, as ``principal`` may see it."""
    rows = session.scalars(select(Finding).where(Finding.asset_id == asset.id)
                           .order_by(Finding.score.desc(), Finding.detector, Finding.label)).all()
    findings = sorted(rows, key=lambda f: (KIND_ORDER[f.type.kind], -f.type.severity))  # stable: score order kept
    row = session.get(AssetScreening, asset.id)
    cluster = session.get(DuplicateCluster, row.cluster_id) if row and row.cluster_id else None
    return {
        "findings": [finding_out(f) for f in findings],
        "tags": tags_of(session, asset.id),
        "submission_suggestions": suggestions_of(session, asset.submission_id),
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
