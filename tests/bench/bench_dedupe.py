# ruff: noqa: T201 - a benchmark reports on stdout
"""Near-duplicate screening: precision/recall on transformed copies of real photos (PDQ with central-crop variants vs
imagehash pHash at its usual threshold), and duplicate-lookup latency at 1,000,000 stored hashes (multi-index hashing
vs an exact scan, same database, same run).

    python -m tests.bench.bench_dedupe [--photos ../shared/media/photos] [--rows 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

from models.hashing import (
    CROP_VARIANTS,
    PDQ_MATCH_DISTANCE,
    PHASH_MATCH_DISTANCE,
    central,
    hamming,
    pdq,
    phash,
    phash_distance,
)

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def load_photos(folder: Path) -> dict[str, Image.Image]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    photos = {}
    for path in sorted(folder.iterdir()):
        try:
            image = Image.open(path)
            photos[path.name] = ImageOps.exif_transpose(image).convert("RGB")
        except OSError:
            continue
    return photos


def transforms(image: Image.Image) -> dict[str, Image.Image]:
    w, h = image.size
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=40)
    overlay = image.copy()
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype(FONT, max(14, h // 18))
    except OSError:
        font = ImageFont.load_default(size=max(14, h // 18))
    ImageDraw.Draw(overlay).text((w // 20, int(h * 0.82)), "2023年职业教育活动周 技能展示", font=font,
                                 fill=(255, 255, 255))
    return {
        "resize50": image.resize((w // 2, h // 2), Image.Resampling.BILINEAR),
        "jpeg40": Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"),
        "crop5": central(image, 0.95),
        "bright20": ImageEnhance.Brightness(image).enhance(1.2),
        "text": overlay,
    }


def accuracy(photos: dict[str, Image.Image]) -> None:
    stored = {name: [pdq(central(img, keep)).bits for _, keep in CROP_VARIANTS] for name, img in photos.items()}
    stored_ph = {name: phash(img) for name, img in photos.items()}
    counts = {m: {"tp": 0, "fp": 0, "fn": 0} for m in ("pdq", "phash")}
    per_transform: dict[str, list[int]] = {}
    side_crop_hits = {"pdq": 0, "phash": 0}
    for name, image in photos.items():
        for transform, copy in transforms(image).items():
            query = [pdq(central(copy, keep)).bits for _, keep in CROP_VARIANTS]
            q_ph = phash(copy)
            for other in photos:
                distance = min(hamming(a, b) for a in query[:1] for b in stored[other])
                distance = min(distance, min(hamming(a, stored[other][0]) for a in query[1:]))
                pdq_match = distance <= PDQ_MATCH_DISTANCE
                ph_match = phash_distance(q_ph, stored_ph[other]) <= PHASH_MATCH_DISTANCE
                same = other == name
                for method, hit in (("pdq", pdq_match), ("phash", ph_match)):
                    if same and hit:
                        counts[method]["tp"] += 1
                    elif same:
                        counts[method]["fn"] += 1
                    elif hit:
                        counts[method]["fp"] += 1
                if same:
                    per_transform.setdefault(transform, []).append(int(pdq_match))
        w, h = image.size
        side = image.crop((round(w * 0.05), round(h * 0.05), w, h))  # off-centre crop: outside the target set
        side_q = [pdq(central(side, keep)).bits for _, keep in CROP_VARIANTS]
        side_crop_hits["pdq"] += int(min(hamming(a, b) for a in side_q for b in stored[name]) <= PDQ_MATCH_DISTANCE)
        side_crop_hits["phash"] += int(phash_distance(phash(side), stored_ph[name]) <= PHASH_MATCH_DISTANCE)
    unrelated = [(a, b) for a, b in itertools.combinations(photos, 2)]
    unrelated_pdq = sum(min(hamming(x, y) for x in stored[a] for y in stored[b]) <= PDQ_MATCH_DISTANCE
                        for a, b in unrelated)
    unrelated_ph = sum(phash_distance(stored_ph[a], stored_ph[b]) <= PHASH_MATCH_DISTANCE for a, b in unrelated)
    print(f"photos: {len(photos)}; copies: {len(photos) * 5}; cross pairs: {len(photos) * 5 * (len(photos) - 1)}")
    for method, c in counts.items():
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = c["tp"] / max(1, c["tp"] + c["fn"])
        threshold = PDQ_MATCH_DISTANCE if method == "pdq" else PHASH_MATCH_DISTANCE
        print(f"{method:6} threshold {threshold:2}: precision {precision:.3f} recall {recall:.3f} "
              f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})")
    print("pdq recall per transform: " + ", ".join(f"{t} {sum(v) / len(v):.2f}" for t, v in per_transform.items()))
    print(f"unrelated originals flagged: pdq {unrelated_pdq}/{len(unrelated)}, phash {unrelated_ph}/{len(unrelated)}")
    print(f"off-centre 5% crop (not in the target set) found: pdq {side_crop_hits['pdq']}/{len(photos)}, "
          f"phash {side_crop_hits['phash']}/{len(photos)}")


def _load(raw: Any, bits: np.ndarray, owner: uuid.UUID) -> None:
    """COPY the bench rows (seeded: the same on every run); chunk indexes are rebuilt after the load (bulk-load
    practice: building once is far cheaper than maintaining 16 covering indexes row by row)."""
    rows = len(bits)
    cursor = raw.cursor()
    cursor.execute("SET session_replication_role = replica")  # bench rows have no asset rows (FK off)
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset_hash' "
                   "AND indexname LIKE 'ix_asset_hash_c%'")
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    chunks = bits.reshape(rows, 16, 16) @ (1 << np.arange(15, -1, -1))
    with cursor.copy("COPY asset_hash (id, asset_id, kind, variant, position, pdq, quality, "
                     + ", ".join(f"c{i}" for i in range(16)) + ") FROM STDIN") as copy:
        for i in range(rows):
            row = [str(uuid.uuid4()), str(owner), "image", "full", str(i),
                   "".join("1" if b else "0" for b in bits[i]), "100",
                   *(str(int(v)) for v in chunks[i])]
            copy.write("\t".join(row) + "\n")
    for _, definition in indexes:
        cursor.execute(definition)
    raw.commit()


def latency(rows: int, queries: int, keep: Path | None) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from service.core.embedded import Postgres, free_port
    from service.db.migrate import upgrade
    from workers.duplicates import lookup

    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as folder:
        pg = Postgres(keep or Path(folder), port=free_port())
        pg.start()
        try:
            upgrade(pg.url)
            engine = create_engine(pg.url)
            rng = np.random.default_rng(7)
            started = time.perf_counter()
            bits = rng.integers(0, 2, (rows, 256), dtype=np.uint8)
            owner = uuid.uuid4()
            with engine.connect() as conn:
                present = conn.execute(text("SELECT count(*) FROM asset_hash")).scalar_one()
            if present != rows:  # with --keep the same seeded rows may be loaded already
                with engine.raw_connection() as raw:
                    _load(raw, bits, owner)
            state = "loaded with COPY, 16 covering chunk indexes built" if present != rows else "already loaded"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                # index-only scans need the visibility map; autovacuum keeps it current in production
                conn.execute(text("VACUUM ANALYZE asset_hash"))
            print(f"{rows:,} random hashes {state}, VACUUM ANALYZE: {time.perf_counter() - started:.0f} s")
            flips = rng.integers(0, 31, queries)
            picks = rng.integers(0, rows, queries)
            query_bits = []
            for pick, flip in zip(picks, flips, strict=True):
                q = bits[pick].copy()
                q[rng.choice(256, int(flip), replace=False)] ^= 1
                query_bits.append("".join("1" if b else "0" for b in q))
            me = uuid.uuid4()
            with Session(engine) as session:
                mih, found = [], 0
                for q in query_bits:
                    t = time.perf_counter()
                    found += int(bool(lookup(session, q, kind="image", exclude=me)))
                    mih.append((time.perf_counter() - t) * 1000)
                image_lookups = []
                for q in query_bits[: queries // 2]:  # what dedupe does per photo: full + two crop variants
                    t = time.perf_counter()
                    for _ in range(3):
                        lookup(session, q, kind="image", exclude=me)
                    image_lookups.append((time.perf_counter() - t) * 1000)
                scans = []
                for q in query_bits[:10]:
                    t = time.perf_counter()
                    session.execute(text("SELECT asset_id FROM asset_hash WHERE bit_count(pdq # CAST(:q AS bit(256)))"
                                         " <= 31"), {"q": q}).all()
                    scans.append((time.perf_counter() - t) * 1000)
            p95 = float(np.percentile(mih, 95))
            print(f"MIH lookup, 1 hash ({queries} queries, 0–30 bits flipped): p50 {statistics.median(mih):.1f} ms, "
                  f"p95 {p95:.1f} ms; true match found {found}/{queries}")
            print(f"MIH lookup, photo (3 hashes): p50 {statistics.median(image_lookups):.1f} ms, "
                  f"p95 {float(np.percentile(image_lookups, 95)):.1f} ms")
            print(f"baseline exact scan (bit_count over all rows, 10 queries): p50 {statistics.median(scans):.1f} ms;"
                  f" MIH is {statistics.median(scans) / statistics.median(mih):.0f}x faster at p50")
            engine.dispose()
        finally:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=Path, default=Path(__file__).resolve().parents[3] / "shared/media/photos")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--keep", type=Path, help="database folder kept between runs (loads 1M rows once)")
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy(load_photos(args.photos))
    if not args.skip_latency:
        latency(args.rows, args.queries, args.keep)


if __name__ == "__main__":
    main()
