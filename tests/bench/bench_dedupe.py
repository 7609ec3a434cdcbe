# ruff: noqa: T201 - a benchmark reports on stdout
"""Duplicate lookup latency at 1,000,000 stored photos with the extra hashes, as the ``dedupe`` step queries it: a
photo's query hashes (eight orientations, central crops, the photo in its frame, local windows) in ONE statement
(``workers.duplicates.lookup_many``, each hash at the step's band probe radius), against a table of ``8 × photos``
rows: the real PDQ hashes of the evaluation's photo variants (their true matches) among background rows made from
real PDQ hashes, not uniform random bits (``background``). Cold: PostgreSQL restarted before the timed queries, so
shared buffers are empty (the OS page cache is not dropped on a shared machine); with ``--in-memory`` also with
the band indexes in shared buffers (pg_prewarm), the steady state of a server sized to hold them. Precision and
recall are not recomputed here: the evaluation (``python -m tests.eval.duplicates``) measures them through the
shipped lookup.

    python -m tests.bench.bench_dedupe [--media ../shared/media] [--photos-stored 1000000] [--queries 200]
                                       [--keep DIR] [--os-warm] [--in-memory] [--candidates-only]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

#: Rows a photo stores: the whole, two central crops and up to five local windows (a framed photo adds its region).
ROWS_PER_PHOTO = 8
BATCH = 50_000


def real_hashes(media: Path) -> tuple[list[str], list[tuple[list[str], list[int]]]]:
    """Stored rows of the real photos and their copies, and query sets (one per copy) as the step builds them."""
    from tests.eval.duplicates import TRANSFORMS, load_photos
    from workers.steps.dedupe import photo_hashes

    stored: list[str] = []
    queries: list[tuple[list[str], list[int]]] = []
    for image in load_photos(media / "photos").values():
        for make in TRANSFORMS.values():
            hashes = photo_hashes(make(image))
            if hashes is None:
                continue
            stored += [bits for _, _, bits, _ in hashes.stored]
            queries.append(([q.bits for q in hashes.queries], [q.probe for q in hashes.queries]))
    return stored, queries


def pool_hashes(media: Path, size: int, seed: int = 11) -> np.ndarray:
    """``size`` real PDQ hashes of pictures that are not the evaluation's copies: random crops (25–80 % of a side,
    any position, any of the eight orientations) of the media's photos and of its videos' frames every half second.
    Their bits carry real PDQ's statistics (which band values are common), unlike uniform random bits."""
    from models.hashing import orient, pdq
    from models.video import sample_frames
    from tests.eval.duplicates import load_photos

    pictures = list(load_photos(media / "photos").values())
    for path in sorted((media / "videos").glob("*.mp4")):
        pictures += [image for _, image in sample_frames(path, every=0.5, side=640, colour=True)]
    for picture in pictures:
        picture.thumbnail((512, 512))  # PDQ reads a 64 × 64 copy: crops of a 512-px copy hash as the full size
    rng = random.Random(seed)
    rows = []
    names = ["r0", "r90", "r180", "r270", "m0", "m90", "m180", "m270"]
    while len(rows) < size:
        image = rng.choice(pictures)
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.25, 0.8)), int(h * rng.uniform(0.25, 0.8))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        hashed = pdq(orient(image.crop((x, y, x + cw, y + ch)), rng.choice(names)))
        if hashed.quality >= 20:
            rows.append(np.frombuffer(hashed.bits.encode(), dtype=np.uint8) - ord("0"))
    return np.stack(rows)


def background(pool: np.ndarray, rows: int, real: list[str], seed: int = 7,
               noise: float = 0.05) -> Iterator[np.ndarray]:
    """Batches of stored hashes: first the real rows, then rows whose every band is copied from an independently
    drawn pool hash (so each band's values are as common as in real PDQ hashes, while rows are not copies of one
    another or of the queries) with ``noise`` of their bits flipped."""
    from models.hashing import BAND_WIDTHS

    rng = np.random.default_rng(seed)
    starts = np.cumsum((0, *BAND_WIDTHS))
    first = np.stack([np.frombuffer(r.encode(), dtype=np.uint8) - ord("0") for r in real]) if real else None
    for start in range(0, rows, BATCH):
        n = min(BATCH, rows - start)
        picks = rng.integers(0, len(pool), (n, len(BAND_WIDTHS)))
        bits = np.empty((n, 256), dtype=np.uint8)
        for band in range(len(BAND_WIDTHS)):
            bits[:, starts[band]:starts[band + 1]] = pool[picks[:, band], starts[band]:starts[band + 1]]
        bits ^= (rng.random((n, 256)) < noise).astype(np.uint8)
        if first is not None and start < len(first):
            bits[:min(n, len(first) - start)] = first[start:start + n]
        yield bits


def _load(raw: Any, batches: Iterator[np.ndarray], owner: uuid.UUID) -> None:
    """COPY the bench rows (seeded: the same on every run); band indexes are rebuilt after the load (bulk-load
    practice: building once is far cheaper than maintaining 11 covering indexes row by row)."""
    from models.hashing import BAND_WIDTHS

    cursor = raw.cursor()
    cursor.execute("SET session_replication_role = replica")  # bench rows have no asset rows (FK off)
    cursor.execute("SET maintenance_work_mem = '1GB'")  # index builds sort in memory
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'asset_hash' "
                   "AND indexname LIKE 'ix_asset_hash_b%'")
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    starts = np.cumsum((0, *BAND_WIDTHS))
    weights = [1 << np.arange(w - 1, -1, -1, dtype=np.int64) for w in BAND_WIDTHS]
    i = 0
    with cursor.copy("COPY asset_hash (id, asset_id, kind, variant, position, pdq, quality, "
                     + ", ".join(f"b{b}" for b in range(len(BAND_WIDTHS))) + ") FROM STDIN") as copy:
        for bits in batches:  # text built per batch with numpy: ~10× faster than per bit
            bands = np.stack([bits[:, starts[b]:starts[b + 1]].astype(np.int64) @ weights[b]
                              for b in range(len(BAND_WIDTHS))], axis=1)
            text_bits = (bits + ord("0")).astype(np.uint8)
            lines = []
            for row_bits, row_bands in zip(text_bits, bands.tolist(), strict=True):
                lines.append("\t".join([str(uuid.uuid4()), str(owner), "image", "full", str(i),
                                         row_bits.tobytes().decode(), "100", *map(str, row_bands)]))
                i += 1
            copy.write("\n".join(lines) + "\n")
    for _, definition in indexes:
        cursor.execute(definition)
    raw.commit()


def read_index_files(conn: Any, data_dir: Path) -> int:
    """Read every index file of ``asset_hash`` once, so the OS page cache holds them as on a database server whose
    memory fits the indexes (PostgreSQL's own buffers stay empty: the restart that follows makes them cold)."""
    from sqlalchemy import text

    paths = conn.execute(text("SELECT pg_relation_filepath(indexrelid) FROM pg_index "
                              "WHERE indrelid = 'asset_hash'::regclass")).scalars().all()
    total = 0
    for relative in paths:
        for segment in sorted((data_dir / relative).parent.glob(Path(relative).name + "*")):
            with segment.open("rb") as handle:
                while chunk := handle.read(1 << 24):
                    total += len(chunk)
    return total


def latency(rows: int, queries: int, keep: Path | None, media: Path, pool_size: int,
            os_warm: bool = False, in_memory: bool = False) -> None:
    from sqlalchemy import create_engine, text

    from service.core.embedded import Postgres, free_port
    from service.db.migrate import upgrade

    real, query_sets = real_hashes(media)
    started = time.perf_counter()
    pool = pool_hashes(media, pool_size)
    print(f"pool: {len(pool):,} real PDQ hashes of random crops of the media's photos and video frames "
          f"({time.perf_counter() - started:.0f} s)")
    with tempfile.TemporaryDirectory(prefix="bench-dedupe-") as folder:
        pg = Postgres(keep or Path(folder), port=free_port())
        pg.start()
        try:
            upgrade(pg.url)
            engine = create_engine(pg.url)
            rng = np.random.default_rng(7)
            started = time.perf_counter()
            owner = uuid.uuid4()
            with engine.connect() as conn:
                present = conn.execute(text("SELECT count(*) FROM asset_hash")).scalar_one()
            if present != rows:  # with --keep the same seeded rows may be loaded already
                with engine.raw_connection() as raw:
                    _load(raw, background(pool, rows, real), owner)
            state = "loaded with COPY, 11 covering band indexes built" if present != rows else "already loaded"
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE asset_hash"))  # index-only scans need the visibility map
                size = conn.execute(text("SELECT pg_total_relation_size('asset_hash')")).scalar_one()
            print(f"{rows:,} hashes ({len(real):,} real PDQ of photo variants, the rest from the pool) {state}, "
                  f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s; table + indexes {size / 2**30:.2f} GiB")
            if os_warm:
                with engine.connect() as conn:
                    read = read_index_files(conn, pg.pgdata)
                print(f"OS page cache warmed: {read / 2**30:.2f} GiB of index files read")
            buffers = ""
            if in_memory:  # shared buffers that hold every band index (what the sizing in OPERATIONS.md asks for)
                with engine.connect() as conn:
                    index_bytes = conn.execute(text(
                        "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index "
                        "WHERE indrelid = 'asset_hash'::regclass")).scalar_one()
                memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                needed = float(index_bytes) * 1.1  # the indexes and a margin for the rest of the lookup's pages
                if needed > 0.6 * memory:
                    print(f"band indexes in shared buffers: skipped, {float(index_bytes) / 2**30:.1f} GiB of indexes "
                          f"do not fit this machine's {memory / 2**30:.0f} GiB")
                    in_memory = False
                else:
                    buffers = f"{int(needed / 2**20) + 256}MB"
                    pg.settings["shared_buffers"] = buffers
            engine.dispose()
            pg.stop()
            pg.start()  # cold: empty shared buffers
            engine = create_engine(pg.url)
            picks = [query_sets[i % len(query_sets)] for i in rng.permutation(max(queries, len(query_sets)))[:queries]]
            state = "PostgreSQL cold, index files in the OS cache" if os_warm else "cold"
            _report(engine, picks, state + (f" (shared_buffers {buffers})" if buffers else ""))
            if in_memory:
                started = time.perf_counter()
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_prewarm"))
                    blocks = sum(conn.execute(text("SELECT pg_prewarm(indexrelid::regclass) FROM pg_index "
                                                   "WHERE indrelid = 'asset_hash'::regclass")).scalars())
                print(f"pg_prewarm: {blocks * 8 / 2**20:.2f} GiB of index blocks into shared buffers "
                      f"({time.perf_counter() - started:.0f} s)")
                _report(engine, picks, "band indexes in shared buffers (steady state; pg_prewarm after a restart)")
            engine.dispose()
        finally:
            pg.stop()


def _report(engine: Any, picks: list[tuple[list[str], list[int]]], state: str) -> None:
    """Times the shipped lookup once per picked photo and prints p50 / p95 / max and the candidate rows."""
    from sqlalchemy.orm import Session

    from workers.duplicates import lookup_many

    me = uuid.uuid4()
    timings, found = [], 0
    with Session(engine) as session:
        for hashes, probe in picks:
            t = time.perf_counter()
            matches = lookup_many(session, hashes, kind="image", exclude=me, radius=64, probe=probe)
            timings.append((time.perf_counter() - t) * 1000)
            found += int(any(m.distance <= 31 for m in matches))
            session.rollback()
        candidates = []
        for hashes, probe in picks[:20]:  # rows the band probes fetch before the exact comparison
            candidates.append(count_candidates(session, hashes, probe))
    print(f"photo lookup, {statistics.mean(len(q) for q, _ in picks):.1f} hashes in one statement, {state}, "
          f"{len(picks)} photos: p50 {statistics.median(timings):.1f} ms, "
          f"p95 {float(np.percentile(timings, 95)):.1f} ms, max {max(timings):.1f} ms; with candidates "
          f"a match ≤ 31 {found}/{len(picks)}; candidate rows per photo (first 20) median "
          f"{statistics.median(candidates):,.0f}, max {max(candidates):,}")


def count_candidates(session: Any, hashes: list[str], probe: list[int]) -> int:
    from sqlalchemy import text

    from models.hashing import BAND_WIDTHS, band_probes, band_values

    values: list[set[int]] = [set() for _ in BAND_WIDTHS]
    for bits, r in zip(hashes, probe, strict=True):
        for i, value in enumerate(band_values(bits)):
            values[i].update(band_probes(value, BAND_WIDTHS[i], r))
    sql = " UNION ALL ".join(f"SELECT 1 FROM asset_hash WHERE b{i} = ANY(:n{i})" for i in range(len(BAND_WIDTHS)))
    return int(session.execute(text(f"SELECT count(*) FROM ({sql}) AS c"),
                               {f"n{i}": sorted(v) for i, v in enumerate(values)}).scalar_one())


def candidates_offline(media: Path, rows: int, pool_size: int, sets: int = 30) -> None:
    """Load-independent: candidate rows a photo's probes fetch from the same background rows, with the 16-bit
    chunks of before (whole photo at chunk distance 1, other hashes exact) and with the bands, counted in numpy."""
    from models.hashing import BAND_WIDTHS, band_probes, band_values

    real, query_sets = real_hashes(media)
    pool = pool_hashes(media, pool_size)
    starts = np.cumsum((0, *BAND_WIDTHS))
    band_weights = [1 << np.arange(w - 1, -1, -1, dtype=np.int64) for w in BAND_WIDTHS]
    chunk_weights = 1 << np.arange(15, -1, -1, dtype=np.int64)
    chunk_parts: list[list[np.ndarray]] = [[] for _ in range(16)]
    band_parts: list[list[np.ndarray]] = [[] for _ in BAND_WIDTHS]
    for bits in background(pool, rows, real):
        for c in range(16):
            chunk_parts[c].append((bits[:, c * 16:(c + 1) * 16].astype(np.int64) @ chunk_weights).astype(np.int32))
        for b in range(len(BAND_WIDTHS)):
            band_parts[b].append((bits[:, starts[b]:starts[b + 1]].astype(np.int64) @ band_weights[b]).astype(np.int32))
    chunks = [np.concatenate(part) for part in chunk_parts]
    bands = [np.concatenate(part) for part in band_parts]
    rng = np.random.default_rng(7)
    before, after, before_probes, after_probes = [], [], [], []
    for i in rng.permutation(len(query_sets))[:sets]:
        hashes, probe = query_sets[i]
        old: list[set[int]] = [set() for _ in range(16)]
        for n, bits in enumerate(hashes):
            for c in range(16):
                value = int(bits[c * 16:(c + 1) * 16], 2)
                old[c].update([value, *(value ^ (1 << k) for k in range(16))] if n == 0 else [value])
        new: list[set[int]] = [set() for _ in BAND_WIDTHS]
        for bits, r in zip(hashes, probe, strict=True):
            for b, value in enumerate(band_values(bits)):
                new[b].update(band_probes(value, BAND_WIDTHS[b], r))
        before.append(sum(int(np.isin(chunks[c], np.fromiter(old[c], np.int32)).sum()) for c in range(16)))
        after.append(sum(int(np.isin(bands[b], np.fromiter(new[b], np.int32)).sum()) for b in range(len(new))))
        before_probes.append(sum(map(len, old)))
        after_probes.append(sum(map(len, new)))
    print(f"{rows:,} rows, {sets} photos: candidate rows per photo, median (max): 16-bit chunks "
          f"{statistics.median(before):,.0f} ({max(before):,}) from {statistics.median(before_probes):,.0f} probe "
          f"values; bands {statistics.median(after):,.0f} ({max(after):,}) from "
          f"{statistics.median(after_probes):,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--media", type=Path, default=Path(__file__).resolve().parents[2].parent / "shared/media")
    parser.add_argument("--photos-stored", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pool", type=int, default=5_000, help="real PDQ hashes the background rows draw on")
    parser.add_argument("--keep", type=Path, help="database folder kept between runs (loads the rows once)")
    parser.add_argument("--candidates-only", action="store_true",
                        help="count candidate rows before/after in numpy (no database, load-independent)")
    parser.add_argument("--os-warm", action="store_true",
                        help="read the index files into the OS page cache before the restart (a database server "
                             "whose memory holds the indexes); PostgreSQL's buffers stay cold")
    parser.add_argument("--in-memory", action="store_true",
                        help="then also with shared buffers sized to hold the band indexes and filled by pg_prewarm "
                             "(the steady state of a database server sized as docs/OPERATIONS.md says)")
    args = parser.parse_args()
    if args.candidates_only:
        candidates_offline(args.media, args.photos_stored * ROWS_PER_PHOTO, args.pool)
        return
    latency(args.photos_stored * ROWS_PER_PHOTO, args.queries, args.keep, args.media, args.pool, args.os_warm,
            args.in_memory)


if __name__ == "__main__":
    main()
