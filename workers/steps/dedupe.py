"""Step ``dedupe`` (queue ml): PDQ hashes stored for multi-index lookup; near-duplicate photos (full image and two
central crops, for light crops) and videos (keyframe sequences, also a clip cut out of a longer video) grouped into
duplicate clusters across submitters and organisations. Exact copies (``asset.exact_of``, sha256) join too."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.orm import Session

from models.hashing import CROP_VARIANTS, PDQ_MIN_QUALITY, central, chunk_values, pdq, phash
from service.db.asset import Asset, AssetKind, Job
from service.db.screening import AssetHash
from workers.duplicates import best_matches, join_cluster, lookup, video_matches
from workers.media_input import load_keyframes, load_still
from workers.pipeline import register


def _row(asset: Asset, kind: str, variant: str, position: float, bits: str, quality: int,
         phash_hex: str | None = None) -> AssetHash:
    chunks = {f"c{i}": value for i, value in enumerate(chunk_values(bits))}
    return AssetHash(asset_id=asset.id, kind=kind, variant=variant, position=position, pdq=bits, quality=quality,
                     phash=phash_hex, **chunks)


def dedupe_asset(session: Session, asset: Asset) -> dict[uuid.UUID, int]:
    """Store this asset's hashes (replacing earlier ones) and cluster it with its matches; returns the matches."""
    session.execute(delete(AssetHash).where(AssetHash.asset_id == asset.id))
    matched: dict[uuid.UUID, int] = {}
    if asset.kind == AssetKind.video:
        analysis = load_keyframes(session, asset, uniform_every=2.0, max_keyframes=120)
        frames = []
        for keyframe in analysis.keyframes:
            hashed = pdq(keyframe.image)
            if hashed.quality >= PDQ_MIN_QUALITY:
                frames.append((keyframe.t, hashed.bits))
                session.add(_row(asset, "video", "full", round(keyframe.t, 3), hashed.bits, hashed.quality))
        matched.update(video_matches(session, frames, exclude=asset.id))
    else:
        image = load_still(session, asset)
        hashes = [(variant, pdq(central(image, keep))) for variant, keep in CROP_VARIANTS]
        if hashes[0][1].quality >= PDQ_MIN_QUALITY:
            found = []
            for variant, hashed in hashes:
                found += lookup(session, hashed.bits, kind="image", exclude=asset.id)
                session.add(_row(asset, "image", variant, 0.0, hashed.bits, hashed.quality,
                                 phash(image) if variant == "full" else None))
            matched.update(best_matches(found))
    if asset.exact_of is not None:
        matched[asset.exact_of] = 0
    session.flush()
    join_cluster(session, asset, matched)
    return matched


@register("dedupe", soft_time_limit=1800, time_limit=1900)
def dedupe(session: Session, asset: Asset, job: Job) -> None:
    dedupe_asset(session, asset)
