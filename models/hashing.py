"""Perceptual hashes for near-duplicate screening: PDQ (Meta; 256 bits + a quality 0–100) and pHash for comparison.

A PDQ hash is stored as ``bit(256)`` plus 11 bands of 23–24 bits for multi-index hashing: two hashes within Hamming
distance ≤ 32 share at least one band at distance ≤ 2 (pigeonhole: eleven bands each 3 apart make 33), so a lookup
probes every band value within 2 of the query's (277–301 per band) through ordinary B-tree indexes and verifies the
candidates exactly. Bands of ≈ log2(rows) bits keep the random candidates per probe below one at millions of rows,
where 16-bit chunks returned a hundred each (docs/PERFORMANCE.md, "Duplicate lookup").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from PIL import Image

#: Bit widths of the MIH bands, in bit order (3 × 24 + 8 × 23 = 256).
BAND_WIDTHS = (24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23)
BANDS = len(BAND_WIDTHS)
#: Probing every band within this distance finds every stored hash within 3 × BANDS - 1 = 32 (pigeonhole).
EXACT_PROBE = 2
#: Added to a video hash's band values, so one index per band keeps photos and videos apart (no kind filter).
VIDEO_BAND = 1 << 24
#: PDQ's recommended match threshold; MIH probe radius 2 per band is exact up to 32.
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
    def bands(self) -> list[int]:
        return band_values(self.bits)


def _prepare(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGB")  # a new image: thumbnail may shrink it in place
    elif max(image.size) > HASH_SIDE:
        image = image.copy()
    if max(image.size) > HASH_SIDE:
        image.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR)
    return np.ascontiguousarray(np.asarray(image))


def hash_copy(image: Image.Image) -> Image.Image:
    """The ≤ ``HASH_SIDE`` px RGB copy PDQ is computed on (``image`` itself when it is that small and RGB)."""
    return image if image.mode == "RGB" and max(image.size) <= HASH_SIDE else Image.fromarray(_prepare(image))


def pdq(image: Image.Image) -> Pdq:
    import pdqhash

    vector, quality = pdqhash.compute(_prepare(image))
    return Pdq("".join("1" if b else "0" for b in vector), int(quality))


_BAND_STARTS = tuple(sum(BAND_WIDTHS[:i]) for i in range(BANDS))


def band_values(bits: str, kind: str = "image") -> list[int]:
    """The hash's band values as stored (``asset_hash.b0``…``b10``); a video hash's are offset by VIDEO_BAND."""
    offset = VIDEO_BAND if kind == "video" else 0
    return [int(bits[start:start + width], 2) + offset for start, width in zip(_BAND_STARTS, BAND_WIDTHS, strict=True)]


def band_probes(value: int, width: int, radius: int) -> list[int]:
    """``value`` and every value within Hamming distance ``radius`` of it in its ``width`` low bits."""
    out = [value]
    for r in range(1, radius + 1):
        for flips in combinations(range(width), r):
            flipped = value
            for bit in flips:
                flipped ^= 1 << bit
            out.append(flipped)
    return out


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b, strict=True))


def phash(image: Image.Image) -> str:
    import imagehash

    return str(imagehash.phash(image if image.mode == "RGB" else image.convert("RGB")))  # it only reads it


def phash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def central(image: Image.Image, keep: float) -> Image.Image:
    """The central ``keep`` fraction of each side of ``image``."""
    if keep >= 1.0:
        return image
    w, h = image.size
    dx, dy = (w - w * keep) / 2, (h - h * keep) / 2
    return image.crop((round(dx), round(dy), round(w - dx), round(h - dy)))


#: The eight orientations of a photo (PIL transposes): a mirrored or turned copy hashes, in one of them, as its
#: original does. Computed on the transposed pixels rather than by ``pdqhash.compute_dihedral``, whose hashes of a
#: non-square photo sit 18–36 bits from the hash of the same photo actually turned (measured), too far for ≤ 31.
ORIENTATIONS: tuple[tuple[str, Image.Transpose | None], ...] = (
    ("r0", None),
    ("r90", Image.Transpose.ROTATE_90),
    ("r180", Image.Transpose.ROTATE_180),
    ("r270", Image.Transpose.ROTATE_270),
    ("m0", Image.Transpose.FLIP_LEFT_RIGHT),
    ("m90", Image.Transpose.TRANSPOSE),
    ("m180", Image.Transpose.FLIP_TOP_BOTTOM),
    ("m270", Image.Transpose.TRANSVERSE),
)


def orient(image: Image.Image, name: str) -> Image.Image:
    """``image`` in orientation ``name`` (one of :data:`ORIENTATIONS`)."""
    op = dict(ORIENTATIONS)[name]
    return image if op is None else image.transpose(op)


def pdq_orientations(image: Image.Image) -> dict[str, Pdq]:
    """PDQ of the photo in each of its eight orientations (≈ 1 ms each on the 512-px copy)."""
    import pdqhash

    small = hash_copy(image)
    result = {}
    for name, op in ORIENTATIONS:
        turned = small if op is None else small.transpose(op)
        vector, quality = pdqhash.compute(np.ascontiguousarray(np.asarray(turned)))
        result[name] = Pdq("".join("1" if b else "0" for b in vector), int(quality))
    return result


#: A side's rows or columns count as border while their grey level varies less than this (0–255 scale).
FLAT_STD = 6.0
#: Photo-region detection looks at a copy this big (long side); boxes are scaled back to the photo's pixels. At 320
#: a box edge could miss by 5–7 px of a phone screenshot, 10–30 bits of PDQ (measured on the evaluation's photos).
REGION_SIDE = 640
#: Grey levels within this of a screenshot's background count as the frame itself (JPEG noise on flat margins).
FRAME_LEVEL = 4
#: Without uniform sides, a frame is recognised by flat rows of one level: at least this fraction of the rows.
FLAT_ROWS = 0.15
#: A region is hashed besides the whole only when it is a real part of the frame: between these fractions of the area.
REGION_MIN_AREA, REGION_MAX_AREA = 0.12, 0.92


def _grey(image: Image.Image, side: int) -> tuple[np.ndarray, float]:
    small = image.convert("L")
    scale = 1.0
    if max(small.size) > side:
        scale = max(small.size) / side
        small = small.resize((max(1, round(small.width / scale)), max(1, round(small.height / scale))),
                             Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32), scale


def _trim_flat(grey: np.ndarray) -> tuple[int, int, int, int]:
    """Box (left, top, right, bottom) inside the uniform bands along each side."""
    h, w = grey.shape
    top, bottom, left, right = 0, h, 0, w
    while bottom - top > 8 and grey[top, left:right].std() < FLAT_STD:
        top += 1
    while bottom - top > 8 and grey[bottom - 1, left:right].std() < FLAT_STD:
        bottom -= 1
    while right - left > 8 and grey[top:bottom, left].std() < FLAT_STD:
        left += 1
    while right - left > 8 and grey[top:bottom, right - 1].std() < FLAT_STD:
        right -= 1
    return left, top, right, bottom


def _longest_run(mask: np.ndarray, gap: int) -> tuple[int, int]:
    """Start and end (exclusive) of the longest run of True, bridging gaps of up to ``gap`` False values."""
    best, start, last = (0, 0), -1, -10**9
    for i, on in enumerate(mask):
        if not on:
            continue
        if start < 0 or i - last > gap + 1:
            start = i
        last = i
        if last + 1 - start > best[1] - best[0]:
            best = (start, last + 1)
    return best


def _dense_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """The photo inside a screenshot-like frame: the longest band of rows, then of columns, that are mostly not the
    frame's background colour (text lines and icons leave most of their row as background; a photo does not),
    split where a full-width edge (a status bar's lower edge) crosses it."""
    h, w = grey.shape
    frame = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    values, counts = np.unique(np.round(frame / 8), return_counts=True)
    background = float(values[counts.argmax()] * 8)
    if counts.max() / frame.size < 0.5:
        # a photo as wide as the screen (an article's) takes the side margins away: the frame shows as the level
        # of the many flat rows between status bar, title, photo and text
        flat = grey[grey.std(axis=1) < FLAT_STD].mean(axis=1)
        values, counts = np.unique(np.round(flat / 8), return_counts=True)
        if not counts.size or counts.max() < FLAT_ROWS * h:
            return None  # no uniform frame: an ordinary photo
        background = float(values[counts.argmax()] * 8)
    content = np.abs(grey - background) > 12
    rows = content.mean(axis=1) > 0.55
    # a horizontal edge across nearly the whole width separates a bar from the photo below it
    edges = (np.abs(np.diff(grey, axis=0)) > 24).mean(axis=1) > 0.8
    for y in np.flatnonzero(edges):
        rows[y] = False
    top, bottom = _longest_run(rows, gap=1)
    if bottom - top < 8:
        return None
    cols = content[top:bottom].mean(axis=0) > 0.55
    left, right = _longest_run(cols, gap=1)
    if right - left < 8:
        return None
    # grow to the frame itself: a photo's own pale sky or white ground is close to a white frame but not the frame's
    # exact level, so the band stops short of it. A row joins while most of it is off the frame's level (JPEG rings a
    # few pixels of the frame next to the photo's edges, and those must not join) and the frame beside it is still
    # background (a status bar or a banner spans the side margins too)
    margin = np.abs(grey - background) > FRAME_LEVEL

    def photo_row(y: int) -> bool:
        if margin[y, left:right].mean() <= 0.5:
            return False
        sides = np.concatenate([margin[y, :left], margin[y, right:]])
        return bool(sides.mean() <= 0.5) if sides.size >= 4 else not edges[min(y, h - 2)]

    while top > 0 and photo_row(top - 1):
        top -= 1
    while bottom < h and photo_row(bottom):
        bottom += 1
    while left > 0 and margin[top:bottom, left - 1].mean() > 0.5:
        left -= 1
    while right < w and margin[top:bottom, right].mean() > 0.5:
        right += 1
    return left, top, right, bottom


def photo_regions(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Boxes (in ``image`` pixels) of the photo inside its frame, when it has one: inside uniform borders, and inside
    a screenshot or collage (status bar, margins, text). Empty for a photo that fills its frame."""
    grey, scale = _grey(image, REGION_SIDE)
    h, w = grey.shape
    boxes: list[tuple[int, int, int, int]] = []
    trimmed = _trim_flat(grey)
    dense = _dense_box(grey)
    for box in (trimmed, dense):
        if box is None:
            continue
        left, top, right, bottom = box
        area = (right - left) * (bottom - top) / (w * h)
        if REGION_MIN_AREA <= area <= REGION_MAX_AREA:
            scaled = tuple(min(limit, round(v * scale)) for v, limit in zip(box, (image.width, image.height) * 2,
                                                                           strict=True))
            if not any(max(abs(a - b) for a, b in zip(scaled, seen, strict=True)) <= 4 * scale for seen in boxes):
                boxes.append(scaled)  # type: ignore[arg-type]
    return boxes


#: Local windows: squares around the largest, strongest SIFT blobs, ``WINDOW_SPAN`` blob sizes across. Anchored on
#: the picture's content rather than its frame, so an off-centre crop, a re-shoot or a screenshot that keeps the blob
#: hashes the same window (PDQ alone moves ~100 bits when the frame shifts by 5 %). Measured on 21 real photos: a
#: 10 % off-centre crop shares a window within 31 bits for 17–20 of 21, no unrelated pair does.
LOCAL_WINDOWS = 5
WINDOW_SIDE = 480
WINDOW_SPAN = 5.0


def local_windows(image: Image.Image, count: int = LOCAL_WINDOWS) -> list[tuple[int, int, int, int]]:
    """Up to ``count`` boxes (``image`` pixels) around the picture's most prominent blobs, largest first."""
    import cv2

    grey, scale = _grey(image, WINDOW_SIDE)
    pixels = np.ascontiguousarray(grey.astype(np.uint8))
    keypoints = cv2.SIFT_create(nfeatures=400).detect(pixels, None)  # type: ignore[attr-defined]
    keypoints = sorted(keypoints, key=lambda k: -k.size * math.sqrt(max(k.response, 0.0)))
    h, w = pixels.shape
    chosen: list[tuple[float, float, float]] = []
    for point in keypoints:
        r = point.size * WINDOW_SPAN / 2
        x, y = point.pt
        if r < WINDOW_SIDE / 25 or x - r < 0 or y - r < 0 or x + r > w or y + r > h:
            continue
        if any(abs(x - a) < r / 2 and abs(y - b) < r / 2 for a, b, _ in chosen):
            continue  # the same spot at another scale
        chosen.append((x, y, r))
        if len(chosen) >= count:
            break
    return [(round((x - r) * scale), round((y - r) * scale), round((x + r) * scale), round((y + r) * scale))
            for x, y, r in chosen]
