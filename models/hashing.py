"""Perceptual hashes for near-duplicate screening: PDQ (Meta; 256 bits + a quality 0–100) and pHash for comparison.

A PDQ hash is stored as ``bit(256)`` plus 16 chunks of 16 bits for multi-index hashing: two hashes within Hamming
distance ≤ 31 share at least one chunk at distance ≤ 1 (pigeonhole), so a lookup probes 16 × 17 chunk values through
ordinary B-tree indexes and verifies the few candidates exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

CHUNKS = 16
CHUNK_BITS = 16
#: PDQ's recommended match threshold; MIH radius 1 per chunk is exact up to 31.
PDQ_MATCH_DISTANCE = 31
#: Below this PDQ quality the hash says little (flat or tiny images) and is not used for matching.
PDQ_MIN_QUALITY = 20
PHASH_MATCH_DISTANCE = 10  # imagehash pHash's customary threshold (64 bits)
HASH_SIDE = 512  # PDQ downsamples to 64×64 anyway; hashing a 512-px copy costs a fraction of the full image


#: Central crops hashed besides the full image: PDQ alone misses a 5 % crop (distance 32–72 measured); a copy's full
#: hash meets the original's 95 % crop half-way. Off-centre crops are still missed (docs/PERFORMANCE.md).
CROP_VARIANTS = (("full", 1.0), ("c95", 0.95), ("c90", 0.90))


@dataclass(frozen=True)
class Pdq:
    bits: str  # "0101…", 256 characters, as PostgreSQL bit(256) text
    quality: int

    @property
    def chunks(self) -> list[int]:
        return chunk_values(self.bits)


def _prepare(image: Image.Image) -> np.ndarray:
    image = image.convert("RGB")
    if max(image.size) > HASH_SIDE:
        image = image.copy()
        image.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(image))


def pdq(image: Image.Image) -> Pdq:
    import pdqhash

    vector, quality = pdqhash.compute(_prepare(image))
    return Pdq("".join("1" if b else "0" for b in vector), int(quality))


def chunk_values(bits: str) -> list[int]:
    return [int(bits[i * CHUNK_BITS:(i + 1) * CHUNK_BITS], 2) for i in range(CHUNKS)]


def neighbours(value: int) -> list[int]:
    """``value`` and every 16-bit value at Hamming distance 1 from it."""
    return [value, *(value ^ (1 << bit) for bit in range(CHUNK_BITS))]


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def phash(image: Image.Image) -> str:
    import imagehash

    return str(imagehash.phash(image.convert("RGB")))


def phash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def central(image: Image.Image, keep: float) -> Image.Image:
    """The central ``keep`` fraction of each side of ``image``."""
    if keep >= 1.0:
        return image
    w, h = image.size
    dx, dy = (w - w * keep) / 2, (h - h * keep) / 2
    return image.crop((round(dx), round(dy), round(w - dx), round(h - dy)))
