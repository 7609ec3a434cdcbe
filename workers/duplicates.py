"""Near-duplicate lookup by multi-index hashing over ``asset_hash`` and grouping into duplicate clusters.

Lookup: all of a photo's query hashes (eight orientations, central crops, the photo inside its frame, local windows)
go to the database in ONE statement. Rows sharing any of the 11 bands (23–24 bits, ``models.hashing.BAND_WIDTHS``)
with a query hash within the hash's probe radius are fetched through the 11 covering B-tree indexes (index-only
scans, no heap visits), then each candidate is compared with every query hash by ``bit_count(pdq # q)``. Radius 2
(the default) is exact for distances ≤ 32 (pigeonhole); radius 1 or 0 is cheaper and finds most (the extra hashes of
a photo, video samples). Rows up to ``radius`` beyond 31 come back without guarantee (the grey zone that geometric
verification decides).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Select, and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.hashing import BAND_WIDTHS, BANDS, EXACT_PROBE, PDQ_MATCH_DISTANCE, band_probes, band_values
from service.db.asset import Asset, AssetKind
from service.db.review_index import record_screening
from service.db.screening import (
    AssetEmbedding,
    AssetHash,
    AssetScreening,
    DuplicateCluster,
    SimilarBasis,
    SimilarShot,
)

#: Frame hashes count as the same picture up to here: beyond 31 the lookup finds them without guarantee, which the
#: time-consistent vote over many frames tolerates.
VIDEO_MATCH_DISTANCE = 40
#: Band probe radius of a video sample: ten samples a second meet each stored second, so a sample missed by the
#: cheaper probe is covered by its neighbours.
VIDEO_PROBE = 1
CLUSTER_LOCK = 0x6D646B_64757073  # pg advisory lock id: one clustering change at a time keeps clusters consistent

# UNION ALL of per-band scans rather than one OR: an OR becomes a BitmapOr that must visit the heap. The kind is
# folded into the band values (video + 2^24), so the index-only scans need no filter. The distinct candidates come
# back and are compared with every query hash here (numpy XOR + popcount over 64-bit words: well under a millisecond
# for thousands of candidates; in SQL the cross join re-ran the query list per candidate at ~1.5 µs a comparison).
# Through psycopg's binary protocol, and nothing parsed that is not needed: a candidate's hash comes back as 36 bytes
# (bit length + 32 bytes) instead of 256 characters of "0101…", its asset id as 16 bytes (a UUID object is made only
# for the matches), and the probe values go out as one array literal per band rather than thousands of adapted ints.
# At thousands of candidates the parsing cost more than the index scans (docs/PERFORMANCE.md "Duplicate lookup").
_MIH_SQL = (
    "SELECT DISTINCT uuid_send(asset_id), position, pdq FROM ("
    + " UNION ALL ".join(
        f"SELECT asset_id, position, pdq FROM asset_hash WHERE b{i} = ANY(%(n{i})s::text::int4[])"
        for i in range(BANDS))
    + ") AS banded WHERE asset_id <> %(me)s"
)
# index-only probes of a few rows each: starting parallel workers costs more than it saves (measured 45 ms vs 4 ms);
# a generic plan: estimating eleven arrays of hundreds of values cost 16–33 ms of planning per call. Local to the
# transaction, in one round trip.
_MIH_SETTINGS = ("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                 "set_config('plan_cache_mode', 'force_generic_plan', true)")


@dataclass(frozen=True)
class Match:
    asset_id: uuid.UUID
    distance: int
    position: float = 0.0
    query: int = 0  # index of the query hash that matched


def lookup_many(session: Session, hashes: list[str], *, kind: str, exclude: uuid.UUID,
                radius: int = PDQ_MATCH_DISTANCE, probe: list[int] | None = None) -> list[Match]:
    """Stored hashes of ``kind`` within ``radius`` of any of ``hashes`` (other assets only), in one statement.

    ``probe`` gives each hash's band probe radius (default :data:`EXACT_PROBE`, 2: exact to distance 32, 277–301
    index probes per band). Radius 1 (24 per band) finds a hash 31 bits away ~93 % of the time and radius 0 (one per
    band) ~45 %, but nearly always at 15 (measured on the evaluation set: docs/SCREENING.md); for the extra hashes
    of a photo and the dense samples of a video, where speed matters more and the copies sit close.
    """
    if not hashes:
        return []
    probes: list[set[int]] = [set() for _ in range(BANDS)]
    for n, bits in enumerate(hashes):
        r = EXACT_PROBE if probe is None else probe[n]
        for i, value in enumerate(band_values(bits, kind)):
            probes[i].update(band_probes(value, BAND_WIDTHS[i], r))
    params: dict[str, object] = {"me": exclude}
    for i, values in enumerate(probes):
        params[f"n{i}"] = "{" + ",".join(map(str, sorted(values))) + "}"
    raw = session.connection().connection.driver_connection  # psycopg, inside the session's transaction
    assert raw is not None
    with raw.cursor(binary=True) as cursor:
        cursor.execute(_MIH_SETTINGS)
        cursor.execute(_MIH_SQL, params, prepare=True)
        rows = cursor.fetchall()
    if not rows:
        return []
    stored = np.frombuffer(b"".join(row[2][-32:] for row in rows), dtype=np.uint64).reshape(len(rows), 4)
    distances = np.bitwise_count(stored[:, None, :] ^ _words(hashes)[None, :, :]).sum(axis=2)  # candidates × queries
    best: dict[tuple[uuid.UUID, float, int], int] = {}
    for c, n in zip(*np.nonzero(distances <= radius), strict=True):
        key = (uuid.UUID(bytes=rows[c][0]), float(rows[c][1]), int(n))
        distance = int(distances[c, n])
        if distance < best.get(key, 257):
            best[key] = distance
    return [Match(asset_id, distance, position, n)
            for (asset_id, position, n), distance in sorted(best.items(), key=lambda item: (str(item[0][0]),
                                                                                            item[0][1:]))]


def _words(hashes: list[str]) -> np.ndarray:
    """256-bit hashes ("0101…") as rows of four 64-bit words, for vectorised XOR + popcount. The byte order is the
    binary protocol's (the first bit is the high bit of the first byte), so stored and query words line up."""
    packed = b"".join(int(bits, 2).to_bytes(32, "big") for bits in hashes)
    return np.frombuffer(packed, dtype=np.uint64).reshape(len(hashes), 4)


def lookup(session: Session, bits: str, *, kind: str, exclude: uuid.UUID,
           radius: int = PDQ_MATCH_DISTANCE) -> list[Match]:
    """Stored hashes of ``kind`` within ``radius`` of ``bits`` (other assets only)."""
    return lookup_many(session, [bits], kind=kind, exclude=exclude, radius=radius)


def best_matches(matches: list[Match]) -> dict[uuid.UUID, int]:
    best: dict[uuid.UUID, int] = {}
    for match in matches:
        best[match.asset_id] = min(best.get(match.asset_id, 999), match.distance)
    return best


def video_matches(session: Session, frames: list[tuple[float, list[str]]], *, exclude: uuid.UUID,
                  min_fraction: float = 0.6, batch: int = 192) -> dict[uuid.UUID, int]:
    """Videos sharing a time-consistent run of frames: the query is (part of) them or they are part of it.

    ``frames`` are the query's dense samples (time, [hash as is, mirrored, …]); stored videos keep one hash per
    second, so whatever the cut point a query sample lies within half a sample step of a stored one. Each matching
    pair votes for the time offset between the two videos (half-second bins, neighbours merged); a clip cut from a
    longer video has one dominant offset. Matched when the seconds agreeing on it cover ``min_fraction`` of the
    shorter of the two (and at least two seconds).
    """
    flat: list[str] = []
    times: list[float] = []
    for t, variants in frames:
        for bits in variants:
            flat.append(bits)
            times.append(t)
    votes: dict[uuid.UUID, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    distances: dict[uuid.UUID, list[int]] = defaultdict(list)
    for start in range(0, len(flat), batch):
        for match in lookup_many(session, flat[start:start + batch], kind="video", exclude=exclude,
                                 radius=VIDEO_MATCH_DISTANCE, probe=[VIDEO_PROBE] * len(flat[start:start + batch])):
            t = times[start + match.query]
            votes[match.asset_id][round((match.position - t) * 2)].add(int(match.position))
            distances[match.asset_id].append(match.distance)
    if not votes:
        return {}
    counts = dict(session.execute(
        select(AssetHash.asset_id, func.count(func.distinct(AssetHash.position)))
        .where(AssetHash.kind == "video", AssetHash.asset_id.in_(list(votes)))
        .group_by(AssetHash.asset_id)
    ).all())
    seconds = len({int(t) for t in times})
    result: dict[uuid.UUID, int] = {}
    for other, by_offset in votes.items():
        agreeing = max(len(by_offset.get(o, set()) | by_offset.get(o - 1, set()) | by_offset.get(o + 1, set()))
                       for o in by_offset)
        shorter = max(1, min(seconds, int(counts.get(other, 0)) or seconds))
        if agreeing >= 2 and agreeing / shorter >= min_fraction:
            result[other] = int(sorted(distances[other])[len(distances[other]) // 2])
    return result


def record_similar(session: Session, asset_id: uuid.UUID, similar: dict[uuid.UUID, int]) -> None:
    """Replace ``asset_id``'s hash-based similar-shot pairs (kept in both directions, so either side reads them at
    once); the visual ones are the ``tag`` step's (``record_visual_similar``)."""
    _clear_similar(session, asset_id, SimilarBasis.hash)
    rows = [{"asset_id": a, "other_id": b, "basis": SimilarBasis.hash.value, "distance": distance}
            for other, distance in similar.items() for a, b in ((asset_id, other), (other, asset_id))]
    if rows:  # the other photo's own dedupe step may write the pair at the same time: the newer distance wins
        statement = insert(SimilarShot).values(rows)
        session.execute(statement.on_conflict_do_update(
            index_elements=["asset_id", "other_id", "basis"], set_={"distance": statement.excluded.distance}))


def record_visual_similar(session: Session, asset_id: uuid.UUID, similar: dict[uuid.UUID, float]) -> None:
    """Replace ``asset_id``'s visual similar-shot pairs (cosine similarity of the image embeddings), both ways."""
    _clear_similar(session, asset_id, SimilarBasis.visual)
    rows = [{"asset_id": a, "other_id": b, "basis": SimilarBasis.visual.value, "similarity": round(similarity, 4)}
            for other, similarity in similar.items() for a, b in ((asset_id, other), (other, asset_id))]
    if rows:  # the other photo's own tag step may have written the pair meanwhile: the newer value wins
        statement = insert(SimilarShot).values(rows)
        session.execute(statement.on_conflict_do_update(
            index_elements=["asset_id", "other_id", "basis"], set_={"similarity": statement.excluded.similarity}))


def _clear_similar(session: Session, asset_id: uuid.UUID, basis: SimilarBasis) -> None:
    session.execute(delete(SimilarShot).where(
        (SimilarShot.asset_id == asset_id) | (SimilarShot.other_id == asset_id), SimilarShot.basis == basis.value))
    session.flush()


#: Visual similar-shot candidates: photos of the same campaign taken within this long of each other (EXIF capture
#: time, through ``ix_asset_campaign_capture_time``), and photos of the same submission (``asset.submission_id``).
VISUAL_WINDOW = timedelta(minutes=10)
#: At most this many visual similar shots are kept per photo (the nearest).
VISUAL_NEIGHBOURS = 12


def visual_neighbours(session: Session, asset: Asset, embedding: list[float], model: str,
                      min_similarity: float) -> dict[uuid.UUID, float]:
    """Photos whose stored embedding (same model, same dimension) is at least ``min_similarity`` (cosine) from
    ``embedding``, nearest first, among the bounded candidates (same moment or same submission), leaving out the
    photo's own duplicate cluster. pgvector's ``<=>`` is the cosine distance."""
    query = visual_query(session, asset, embedding, model, min_similarity)
    return {other: 1.0 - float(d) for other, d in session.execute(query).all()}


def visual_query(session: Session, asset: Asset, embedding: list[float], model: str,
                 min_similarity: float) -> Select[Any]:
    """The statement of ``visual_neighbours`` (benchmarks EXPLAIN it). The candidates come from the asset indexes
    only; each candidate's embedding is then read by its primary key (a correlated subquery, so the planner cannot
    turn it into a scan of every embedding, as it did with a plain join and the distance in WHERE), and the
    ``OFFSET 0`` fence computes each distance once."""
    window = [Asset.submission_id == asset.submission_id]
    if asset.capture_time is not None:
        window.append(and_(Asset.campaign_id == asset.campaign_id,
                           Asset.capture_time.between(asset.capture_time - VISUAL_WINDOW,
                                                      asset.capture_time + VISUAL_WINDOW)))
    own_cluster = session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == asset.id))
    candidates = (select(Asset.id).outerjoin(AssetScreening, AssetScreening.asset_id == Asset.id)
                  .where(or_(*window), Asset.id != asset.id, Asset.kind == AssetKind.image))
    if own_cluster is not None:
        candidates = candidates.where(AssetScreening.cluster_id.is_distinct_from(own_cluster))
    pool = candidates.subquery("candidates")
    distance = (select(AssetEmbedding.embedding.cosine_distance(embedding))
                .where(AssetEmbedding.asset_id == pool.c.id, AssetEmbedding.model == model,
                       func.vector_dims(AssetEmbedding.embedding) == len(embedding))
                .scalar_subquery())
    scored = select(pool.c.id.label("asset_id"), distance.label("distance")).offset(0).subquery("scored")
    return (select(scored.c.asset_id, scored.c.distance)
            .where(scored.c.distance <= 1 - min_similarity)
            .order_by(scored.c.distance, scored.c.asset_id).limit(VISUAL_NEIGHBOURS))


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
