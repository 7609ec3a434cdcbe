"""Step ``dedupe`` (queue ml): PDQ hashes stored for multi-index lookup; near-duplicate photos and videos grouped
into duplicate clusters across submitters and organisations; photos of one moment that are not copies recorded as
similar shots. Exact copies (``asset.exact_of``, sha256) join too.

Photos: stored are the whole, two central crops, the photo inside its frame (borders, screenshots) and up to five
local windows around its most prominent blobs (``models.hashing.local_windows``: off-centre crops). Looked up in one
statement are those plus the whole in its eight orientations (mirrored, turned with the EXIF tag lost). A whole-
picture match within PDQ's distance 31 is a duplicate, as before; a local-window match, or a whole-picture one in the
grey zone up to :data:`LOOSE_DISTANCE` (re-shoots, a copy with a status bar left on), is re-read (its preview) and
geometrically verified (``models.picture_match``), nearest first and at most :data:`MAX_VERIFY`: the same picture
joins the cluster, an aligned different shot becomes a similar shot.

Videos: a hash per second of presentation time is stored, of the whole frame and of its central 90 %; the query
samples ten per second, as is, mirrored and its central 90 % (and the picture inside a screen recording's frame),
so a clip cut anywhere from a longer video, or cropped to its centre, meets its original
within a twentieth of a second (``workers.duplicates.video_matches``). The samples come from ``derive``'s one decode
of the original (``store_video_hashes``: hashed there, stored next to the keyframes index); a video derived before
that, or whose hashes were not stored, is decoded here from its proxy as before.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.hashing import (
    CROP_VARIANTS,
    PDQ_MATCH_DISTANCE,
    PDQ_MIN_QUALITY,
    band_values,
    central,
    hash_copy,
    local_windows,
    orient,
    pdq,
    pdq_orientations,
    phash,
    photo_regions,
)
from models.picture_match import compare
from models.video import SAMPLE_SIDE, sample_frames
from service.core.storage import get_storage
from service.db.asset import Asset, AssetKind, Job
from service.db.screening import AssetHash, AssetScreening
from workers.duplicates import join_cluster, lookup_many, record_similar, video_matches
from workers.media_input import load_still, local_video
from workers.pipeline import Rejected, register
from workers.steps.frames import hashes_key

#: The lookup also returns candidates up to this distance; beyond 31 they are verified before they count.
LOOSE_DISTANCE = 64
#: At most this many grey-zone candidates are re-read and verified per photo (nearest first): bounds the cost.
MAX_VERIFY = 6
#: A grey-zone candidate that is not the same picture is a similar shot when this close, or when it aligns.
SIMILAR_DISTANCE = 48
#: Seconds between query samples of a video; stored samples are one per second. PDQ moves ~100 bits for a 5 %
#: shift of the picture, so a pan needs the query within a few frames of a stored sample (measured: 0.12 s off
#: on a 12 %/s pan is 32–44 bits; 0.05 s off stays within 31).
VIDEO_QUERY_STEP = 0.1
MAX_REGIONS = 2
#: Band probe radius of the whole photo as it is. 1: exact to 21 bits, ~93 % of hashes 31 bits away (flips spread
#: evenly; real copies that far are found as often as with the 16-bit chunks on the evaluation set), at about half
#: the cold lookup time of radius 2 (EXACT_PROBE: exact to 32) — docs/PERFORMANCE.md "Duplicate lookup".
WHOLE_PROBE = 1
#: A video stores (per second) and queries (per sample) its central 90 % too: a clip cropped to its centre meets its
#: original's crop one way, the original's crop meets the clip the other way (issue 18.5).
VIDEO_CROP = 0.9


@dataclass(frozen=True)
class Query:
    bits: str
    orientation: str  # of the whole photo; r0 for crops, regions and windows
    local: bool = False  # a local window: a match needs verification however close
    #: Band probe radius (``lookup_many``): :data:`WHOLE_PROBE` for the whole photo as it is; 0 for its other
    #: orientations (a mirrored or turned copy hashes like a resized one: close); 1 for crops, regions and windows.
    probe: int = 1


@dataclass
class PhotoHashes:
    stored: list[tuple[str, float, str, int]]  # (variant, position, bits, quality); position k ≥ 1: local window k
    queries: list[Query]
    phash: str


@dataclass
class PhotoMatches:
    duplicates: dict[uuid.UUID, int]
    similar: dict[uuid.UUID, int]


def _row(asset_id: uuid.UUID, kind: str, variant: str, position: float, bits: str, quality: int,
         phash_hex: str | None = None) -> AssetHash:
    bands = {f"b{i}": value for i, value in enumerate(band_values(bits, kind))}
    return AssetHash(asset_id=asset_id, kind=kind, variant=variant, position=position, pdq=bits, quality=quality,
                     phash=phash_hex, **bands)


def photo_hashes(image: Image.Image) -> PhotoHashes | None:
    """What a photo stores and what it looks up; None when the photo is too flat for PDQ to say anything."""
    small = hash_copy(image)  # the ≤ 512 px copy the orientations hash, made once
    turned = pdq_orientations(small)
    if turned["r0"].quality < PDQ_MIN_QUALITY:
        return None
    stored = [("full", 0.0, turned["r0"].bits, turned["r0"].quality)]
    queries = [Query(hashed.bits, name, probe=WHOLE_PROBE if name == "r0" else 0) for name, hashed in turned.items()]
    for variant, keep in CROP_VARIANTS[1:]:
        hashed = pdq(central(image, keep))
        stored.append((variant, 0.0, hashed.bits, hashed.quality))
        queries.append(Query(hashed.bits, "r0", probe=1))
    for i, box in enumerate(photo_regions(image)[:MAX_REGIONS]):
        hashed = pdq(image.crop(box))
        if hashed.quality >= PDQ_MIN_QUALITY:
            stored.append(("region" if i == 0 else f"region{i}", 0.0, hashed.bits, hashed.quality))
            queries.append(Query(hashed.bits, "r0", probe=1))
    for i, box in enumerate(local_windows(image)):
        hashed = pdq(image.crop(box))
        if hashed.quality >= PDQ_MIN_QUALITY:
            stored.append((f"w{i}", float(i + 1), hashed.bits, hashed.quality))
            queries.append(Query(hashed.bits, "r0", local=True, probe=1))
    return PhotoHashes(stored, queries, phash(small))  # 32×32 DCT: the small copy says as much (1 ms, not 7)


def match_photo(session: Session, asset_id: uuid.UUID, image: Image.Image, hashes: PhotoHashes,
                fetch: Callable[[uuid.UUID], Image.Image | None]) -> PhotoMatches:
    """The shipped photo lookup: one statement for all query hashes, then verification of the grey zone.
    ``fetch`` gives a candidate's picture (its preview) for verification, or None."""
    found = lookup_many(session, [q.bits for q in hashes.queries], kind="image", exclude=asset_id,
                        radius=LOOSE_DISTANCE, probe=[q.probe for q in hashes.queries])
    nearest: dict[uuid.UUID, tuple[int, int]] = {}  # whole-picture hashes: (distance, query)
    local: dict[uuid.UUID, tuple[int, int]] = {}  # local windows: (distance, query), verified before they count
    for match in found:
        bucket = local if hashes.queries[match.query].local or match.position > 0 else nearest
        if match.asset_id not in bucket or match.distance < bucket[match.asset_id][0]:
            bucket[match.asset_id] = (match.distance, match.query)
    result = PhotoMatches({a: d for a, (d, _) in nearest.items() if d <= PDQ_MATCH_DISTANCE}, {})
    pending = {a: (d, q, False) for a, (d, q) in nearest.items() if d > PDQ_MATCH_DISTANCE}
    for a, (d, q) in local.items():
        if a not in result.duplicates and d <= PDQ_MATCH_DISTANCE and (a not in pending or d < pending[a][0]):
            pending[a] = (d, q, True)
    grey = sorted((d, str(a), a, q, by_window) for a, (d, q, by_window) in pending.items())
    clusters = dict(session.execute(select(AssetScreening.asset_id, AssetScreening.cluster_id).where(
        AssetScreening.asset_id.in_([candidate[2] for candidate in grey]))).all()) if grey else {}
    seen: set[uuid.UUID] = set()
    picked = []
    for candidate in grey:  # one verification per duplicate cluster: its nearest member speaks for it
        cluster = clusters.get(candidate[2])
        if cluster is None or cluster not in seen:
            picked.append(candidate)
            if cluster is not None:
                seen.add(cluster)
    for distance, _, other_id, query, by_window in picked[:MAX_VERIFY]:
        other = fetch(other_id)
        if other is None:
            continue
        verdict = compare(orient(image, hashes.queries[query].orientation), other)
        if verdict.same:
            result.duplicates[other_id] = distance
        elif verdict.aligned or (not by_window and distance <= SIMILAR_DISTANCE):
            result.similar[other_id] = distance
    return result


def _photo(session: Session, asset: Asset) -> PhotoMatches:
    image = load_still(session, asset)
    hashes = photo_hashes(image)
    if hashes is None:
        return PhotoMatches({}, {})

    def fetch(other_id: uuid.UUID) -> Image.Image | None:
        other = session.get(Asset, other_id)
        if other is None:
            return None
        try:
            return load_still(session, other)
        except Rejected:
            return None

    matches = match_photo(session, asset.id, image, hashes, fetch)
    for variant, position, bits, quality in hashes.stored:
        session.add(_row(asset.id, "image", variant, position, bits, quality,
                         hashes.phash if variant == "full" else None))
    return matches


def video_hashes(frames: list[tuple[float, Image.Image]]) -> tuple[list[tuple[str, float, str, int]],
                                                                       list[tuple[float, list[str]]]]:
    """Stored rows (variant, second, bits, quality) — the first sample of each second — and the dense query."""
    boxes = photo_regions(frames[len(frames) // 2][1])[:1] if frames else []
    stored: list[tuple[str, float, str, int]] = []
    queries: list[tuple[float, list[str]]] = []
    last_second = -1
    for t, image in frames:
        hashed = pdq(image)
        if hashed.quality < PDQ_MIN_QUALITY:
            continue
        cropped = pdq(central(image, VIDEO_CROP))
        variants = [hashed.bits, pdq(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)).bits, cropped.bits]
        region = pdq(image.crop(boxes[0])) if boxes else None
        if region is not None:
            variants.append(region.bits)
        queries.append((t, variants))
        if int(t) != last_second:
            last_second = int(t)
            stored.append(("full", round(t, 3), hashed.bits, hashed.quality))
            if cropped.quality >= PDQ_MIN_QUALITY:
                stored.append(("c90", round(t, 3), cropped.bits, cropped.quality))
            if region is not None and region.quality >= PDQ_MIN_QUALITY:
                stored.append(("region", round(t, 3), region.bits, region.quality))
    return stored, queries


VideoHashes = tuple[list[tuple[str, float, str, int]], list[tuple[float, list[str]]]]


def _hex(bits: str) -> str:
    return f"{int(bits, 2):064x}"


def _bits(hex_text: str) -> str:
    return f"{int(hex_text, 16):0256b}"


def store_video_hashes(asset_id: uuid.UUID, frames: list[tuple[float, Image.Image]]) -> int:
    """``derive``: hash the samples its decode took (``models.video.GridSamples``, the grid of ``sample_frames``
    with :data:`VIDEO_QUERY_STEP`) and store them next to the keyframes index; returns the bytes written."""
    stored, queries = video_hashes(frames)
    document = {"every": VIDEO_QUERY_STEP, "side": SAMPLE_SIDE,
                "stored": [[variant, t, _hex(bits), quality] for variant, t, bits, quality in stored],
                "queries": [[t, [_hex(bits) for bits in variants]] for t, variants in queries]}
    data = json.dumps(document, separators=(",", ":")).encode()
    get_storage().put_bytes(hashes_key(asset_id), data, content_type="application/json")
    return len(data)


def stored_video_hashes(asset_id: uuid.UUID) -> VideoHashes | None:
    """What ``store_video_hashes`` stored, or None (derived before it, or sampled with another grid)."""
    storage = get_storage()
    key = hashes_key(asset_id)
    if storage.stat_size(key) is None:
        return None
    document: dict[str, Any] = json.loads(storage.get_bytes(key))
    if document.get("every") != VIDEO_QUERY_STEP or document.get("side") != SAMPLE_SIDE:
        return None
    stored = [(str(variant), float(t), _bits(hex_text), int(quality))
              for variant, t, hex_text, quality in document["stored"]]
    queries = [(float(t), [_bits(hex_text) for hex_text in variants]) for t, variants in document["queries"]]
    return stored, queries


def _video(session: Session, asset: Asset) -> dict[uuid.UUID, int]:
    found = stored_video_hashes(asset.id)
    if found is None:  # derived before derive hashed its own samples: decode the proxy here
        with local_video(session, asset) as path:
            found = video_hashes(sample_frames(path, every=VIDEO_QUERY_STEP))
    stored, queries = found
    matched = video_matches(session, queries, exclude=asset.id)
    for variant, position, bits, quality in stored:
        session.add(_row(asset.id, "video", variant, position, bits, quality))
    return matched


def dedupe_asset(session: Session, asset: Asset) -> dict[uuid.UUID, int]:
    """Store this asset's hashes (replacing earlier ones) and cluster it with its matches; returns the matches."""
    session.execute(delete(AssetHash).where(AssetHash.asset_id == asset.id))
    similar: dict[uuid.UUID, int] = {}
    if asset.kind == AssetKind.video:
        matched = _video(session, asset)
    else:
        photo = _photo(session, asset)
        matched, similar = photo.duplicates, photo.similar
    if asset.exact_of is not None:
        matched[asset.exact_of] = 0
    session.flush()
    record_similar(session, asset.id, {a: d for a, d in similar.items() if a not in matched})
    join_cluster(session, asset, matched)
    return matched


@register("dedupe", soft_time_limit=1800, time_limit=1900)
def dedupe(session: Session, asset: Asset, job: Job) -> None:
    dedupe_asset(session, asset)
