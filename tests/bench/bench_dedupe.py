# ruff: noqa: T201 - a benchmark reports on stdout
"""Duplicate lookup latency at 1,000,000 stored photos with the extra hashes, as the ``dedupe`` step queries it: a
photo's query hashes (eight orientations, central crops, the photo in its frame) in ONE statement
(``workers.duplicates.lookup_many``), against a table holding real PDQ hashes of photo variants and video frames
among seeded random rows; cold (PostgreSQL restarted before the timed queries, so shared buffers are empty; the OS
page cache is not dropped on a shared machine). Precision and recall are not recomputed here: the evaluation
(``python -m tests.eval.duplicates``) measures them through the shipped lookup.

    python -m tests.bench.bench_dedupe [--media ../shared/media] [--photos-stored 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

#: Rows a photo stores: the whole, two central crops and up to five local windows (a framed photo adds its region).
ROWS_PER_PHOTO = 8


def real_hashes(media: Path) -> tuple[list[str], list[tuple[list[str], list[bool]]]]:
    """Stored rows of the real photos and their copies, and query sets (one per copy) as the step builds them."""
    from tests.eval.duplicates import TRANSFORMS, load_photos
    from workers.steps.dedupe import photo_hashes

    stored: list[str] = []
    queries: list[tuple[list[str], list[bool]]] = []
    for image in load_photos(media / "photos").values():
        for make in TRANSFORMS.values():
            hashes = photo_hashes(make(image))
            if hashes is None:
                continue
            stored += [bits for _, _, bits, _ in hashes.stored]
            queries.append(([q.bits for q in hashes.queries], [q.narrow for q in hashes.queries]))
    return stored, queries


def _load(raw: Any, bits: np.ndarray, owner: uuid.UUID) -> None:
    """COPY the bench rows (seeded: the same on every run); chunk indexes are rebuilt after the load (bulk-load
    practice: building once is far cheaper than maintaining 16 covering indexes row by row)."""
    rows = len(bits)
    cursor = raw.cursor()
    cursor.execute("SET session_replication_role = replica")  # bench rows have no asset rows (FK off)
    cursor.execute("SET maintenance_work_mem = '1GB'")  # index builds sort in memory
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset_hash' "
                   "AND indexname LIKE 'ix_asset_hash_c%'")
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    chunks = bits.reshape(rows, 16, 16) @ (1 << np.arange(15, -1, -1))
    with cursor.copy("COPY asset_hash (id, asset_id, kind, variant, position, pdq, quality, "
                     + ", ".join(f"c{i}" for i in range(16)) + ") FROM STDIN") as copy:
        for start in range(0, rows, 50_000):  # text built per batch with numpy: ~10× faster than per bit
            text_bits = (bits[start:start + 50_000] + ord("0")).astype(np.uint8)
            lines = []
            for offset, row_bits in enumerate(text_bits):
                i = start + offset
                lines.append("\t".join([str(uuid.uuid4()), str(owner), "image", "full", str(i),
                                         row_bits.tobytes().decode(), "100", *map(str, chunks[i].tolist())]))
            copy.write("\n".join(lines) + "\n")
    for _, definition in indexes:
        cursor.execute(definition)
    raw.commit()


def latency(rows: int, queries: int, keep: Path | None, media: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from service.core.embedded import Postgres, free_port
    from service.db.migrate import upgrade
    from workers.duplicates import lookup_many

    real, query_sets = real_hashes(media)
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as folder:
        pg = Postgres(keep or Path(folder), port=free_port())
        pg.start()
        try:
            upgrade(pg.url)
            engine = create_engine(pg.url)
            rng = np.random.default_rng(7)
            started = time.perf_counter()
            bits = rng.integers(0, 2, (rows, 256), dtype=np.uint8)
            for i, row in enumerate(real):  # real variant hashes among the random ones
                bits[i] = np.frombuffer(row.encode(), dtype=np.uint8) - ord("0")
            owner = uuid.uuid4()
            with engine.connect() as conn:
                present = conn.execute(text("SELECT count(*) FROM asset_hash")).scalar_one()
            if present != rows:  # with --keep the same seeded rows may be loaded already
                with engine.raw_connection() as raw:
                    _load(raw, bits, owner)
            state = "loaded with COPY, 16 covering chunk indexes built" if present != rows else "already loaded"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE asset_hash"))  # index-only scans need the visibility map
            print(f"{rows:,} hashes ({len(real):,} real PDQ of photo variants) {state}, VACUUM ANALYZE: "
                  f"{time.perf_counter() - started:.0f} s")
            engine.dispose()
            pg.stop()
            pg.start()  # cold: empty shared buffers
            engine = create_engine(pg.url)
            picks = [query_sets[i % len(query_sets)] for i in rng.permutation(max(queries, len(query_sets)))[:queries]]
            me = uuid.uuid4()
            timings, found = [], 0
            with Session(engine) as session:
                for hashes, narrow in picks:
                    t = time.perf_counter()
                    found += int(bool(lookup_many(session, hashes, kind="image", exclude=me, radius=64,
                                                  narrow=narrow)))
                    timings.append((time.perf_counter() - t) * 1000)
            print(f"photo lookup, {statistics.mean(len(q) for q, _ in picks):.1f} hashes in one statement, cold, "
                  f"{queries} photos: p50 {statistics.median(timings):.1f} ms, "
                  f"p95 {float(np.percentile(timings, 95)):.1f} ms, max {max(timings):.1f} ms; with candidates "
                  f"{found}/{queries}")
            engine.dispose()
        finally:
            pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=Path, default=Path(__file__).resolve().parents[2].parent / "shared/media")
    parser.add_argument("--photos-stored", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="database folder kept between runs (loads the rows once)")
    args = parser.parse_args()
    latency(args.photos_stored * ROWS_PER_PHOTO, args.queries, args.keep, args.media)


if __name__ == "__main__":
    main()
