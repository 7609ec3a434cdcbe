"""Near-duplicate lookup by multi-index hashing over ``asset_hash`` and grouping into duplicate clusters.

Lookup: for a query PDQ hash, rows sharing any 16-bit chunk within Hamming distance 1 are fetched through the 16
covering B-tree indexes (one index-only scan each, no heap visits), then verified with ``bit_count(pdq # q)``; exact
for distances ≤ 31 (pigeonhole).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from models.hashing import CHUNKS, PDQ_MATCH_DISTANCE, chunk_values, neighbours
from service.db.asset import Asset
from service.db.review_index import record_screening
from service.db.screening import AssetHash, AssetScreening, DuplicateCluster

CLUSTER_LOCK = 0x6D646B_64757073  # pg advisory lock id: one clustering change at a time keeps clusters consistent

# UNION ALL of per-chunk scans rather than one OR: an OR becomes a BitmapOr that must visit the heap.
_MIH_SQL = text(
    "SELECT DISTINCT asset_id, position, distance FROM ("
    + " UNION ALL ".join(
        f"SELECT asset_id, position, bit_count(pdq # CAST(:q AS bit(256))) AS distance FROM asset_hash "
        f"WHERE c{i} = ANY(:n{i}) AND kind = :kind" for i in range(CHUNKS))
    + ") AS candidates WHERE distance <= :radius AND asset_id <> :me"
)


@dataclass(frozen=True)
class Match:
    asset_id: uuid.UUID
    distance: int
    position: float = 0.0


def lookup(session: Session, bits: str, *, kind: str, exclude: uuid.UUID,
           radius: int = PDQ_MATCH_DISTANCE) -> list[Match]:
    """Stored hashes of ``kind`` within ``radius`` of ``bits`` (other assets only)."""
    params: dict[str, object] = {"q": bits, "kind": kind, "me": exclude, "radius": radius}
    for i, value in enumerate(chunk_values(bits)):
        params[f"n{i}"] = neighbours(value)
    rows = session.execute(_MIH_SQL, params).all()
    return [Match(row.asset_id, int(row.distance), float(row.position)) for row in rows]


def best_matches(matches: list[Match]) -> dict[uuid.UUID, int]:
    best: dict[uuid.UUID, int] = {}
    for match in matches:
        best[match.asset_id] = min(best.get(match.asset_id, 999), match.distance)
    return best


def video_matches(session: Session, frames: list[tuple[float, str]], *, exclude: uuid.UUID,
                  min_fraction: float = 0.6) -> dict[uuid.UUID, int]:
    """Videos sharing a time-consistent run of keyframes: the query is (part of) them or they are part of it.

    A frame pair votes for the time offset between the two videos; a clip cut from a longer video has one dominant
    offset. Matched when the frames agreeing on it cover ``min_fraction`` of the shorter of the two sequences.
    """
    votes: dict[uuid.UUID, dict[int, set[float]]] = defaultdict(lambda: defaultdict(set))
    distances: dict[uuid.UUID, list[int]] = defaultdict(list)
    for t, bits in frames:
        for match in lookup(session, bits, kind="video", exclude=exclude):
            votes[match.asset_id][round(match.position - t)].add(t)
            distances[match.asset_id].append(match.distance)
    if not votes:
        return {}
    counts = dict(session.execute(
        select(AssetHash.asset_id, func.count()).where(AssetHash.kind == "video", AssetHash.asset_id.in_(list(votes)))
        .group_by(AssetHash.asset_id)
    ).all())
    result: dict[uuid.UUID, int] = {}
    for other, by_offset in votes.items():
        # neighbouring offsets are the same alignment seen through keyframes sampled at different instants
        agreeing = max(len(by_offset.get(o, set()) | by_offset.get(o - 1, set()) | by_offset.get(o + 1, set()))
                       for o in by_offset)
        shorter = max(1, min(len(frames), int(counts.get(other, 0)) or len(frames)))
        if agreeing >= 2 and agreeing / shorter >= min_fraction:
            result[other] = int(sorted(distances[other])[len(distances[other]) // 2])
    return result


def join_cluster(session: Session, asset: Asset, matched: dict[uuid.UUID, int]) -> DuplicateCluster | None:
    """Put ``asset`` and the assets it matched into one cluster (merging clusters they were in)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CLUSTER_LOCK})
    me = session.get(AssetScreening, asset.id) or AssetScreening(asset_id=asset.id)
    session.add(me)
    if not matched:
        return None
    others = {row.asset_id: row for row in session.scalars(
        select(AssetScreening).where(AssetScreening.asset_id.in_(list(matched))))}
    for asset_id in matched:
        if asset_id not in others:
            others[asset_id] = AssetScreening(asset_id=asset_id)
            session.add(others[asset_id])
    cluster_ids = {row.cluster_id for row in [me, *others.values()] if row.cluster_id}
    clusters = list(session.scalars(select(DuplicateCluster).where(DuplicateCluster.id.in_(cluster_ids))
                                    .order_by(DuplicateCluster.created_at)))
    cluster = clusters[0] if clusters else DuplicateCluster(size=0)
    session.add(cluster)
    session.flush()
    for old in clusters[1:]:
        session.execute(update(AssetScreening).where(AssetScreening.cluster_id == old.id)
                        .values(cluster_id=cluster.id))
        session.delete(old)
    me.cluster_id, me.match_distance = cluster.id, min(matched.values())
    for asset_id, row in others.items():
        row.cluster_id = cluster.id
        if row.match_distance is None:
            row.match_distance = matched[asset_id]
    session.flush()
    refresh_cluster(session, cluster)
    return cluster


def refresh_cluster(session: Session, cluster: DuplicateCluster) -> None:
    """Size and suggested best shot: highest resolution, then quality score, then earliest upload."""
    members = session.execute(
        select(Asset.id).join(AssetScreening, AssetScreening.asset_id == Asset.id)
        .where(AssetScreening.cluster_id == cluster.id)
        .order_by((func.coalesce(Asset.width, 0) * func.coalesce(Asset.height, 0)).desc(),
                  func.coalesce(AssetScreening.quality_score, 0).desc(), Asset.created_at, Asset.id)
    ).scalars().all()
    cluster.size = len(members)
    cluster.best_asset_id = members[0] if members else None
    session.flush()
    for member in members:  # members already in the editors' queue see the cluster (and its best shot) at once
        record_screening(session, member, cluster_id=cluster.id, cluster_best=member == cluster.best_asset_id)
