# ruff: noqa: T201 - a benchmark reports on stdout
"""Visual similar-shot query (issue 18.4) at the week's density: ``workers.duplicates.visual_neighbours`` as the
``tag`` step runs it, against photos with 512-dimension embeddings (Chinese-CLIP ViT-B/16's size; random unit
vectors, so the cost, not the answers, is measured) whose capture times are spread at 1,000,000 photos per week
(≈ 99 a minute) and 20 photos per submission. The candidate bound (same campaign ±10 min, or same submission) makes
the work per photo depend on that density, not on the table's size, so ``--photos`` rows at the week's density stand
for the week; ``--unbounded`` also times the same ranking over every embedding (what the bound avoids). Cold:
PostgreSQL restarted before the timed queries.

    python -m tests.bench.bench_similar [--photos 100000] [--queries 200] [--unbounded 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

DIM = 512
PER_WEEK = 1_000_000
PER_SUBMISSION = 20


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_similar", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--unbounded", type=int, default=5, help="queries timed without the candidate bound")
    args = parser.parse_args()

    from sqlalchemy import create_engine, func, select, text
    from sqlalchemy.orm import Session

    from models.clip import SIMILAR_SHOT_MIN_COSINE
    from service.core.embedded import Postgres, free_port
    from service.db.asset import Asset
    from service.db.migrate import upgrade
    from service.db.screening import AssetEmbedding
    from workers.duplicates import visual_neighbours, visual_query

    rng = np.random.default_rng(5)
    start = datetime(2026, 5, 10, tzinfo=UTC)
    minutes = args.photos / (PER_WEEK / (7 * 24 * 60))
    with tempfile.TemporaryDirectory(prefix="bench-similar-") as folder:
        pg = Postgres(Path(folder), port=free_port())
        pg.start()
        try:
            upgrade(pg.url)
            engine = create_engine(pg.url)
            campaign, org = uuid.uuid4(), uuid.uuid4()
            submissions = [uuid.uuid4() for _ in range(max(1, args.photos // PER_SUBMISSION))]
            started = time.perf_counter()
            ids = [uuid.uuid4() for _ in range(args.photos)]
            offsets = np.sort(rng.uniform(0, minutes * 60, args.photos))
            with engine.raw_connection() as raw:
                cursor = raw.cursor()
                cursor.execute("SET session_replication_role = replica")  # no campaign/org/submission rows
                with cursor.copy("COPY asset (id, submission_id, org_id, campaign_id, kind, status, original_key, "
                                 "original_filename, size, probe, capture_time, created_at, updated_at) "
                                 "FROM STDIN") as copy:
                    for i, asset_id in enumerate(ids):
                        taken = (start + timedelta(seconds=float(offsets[i]))).isoformat()
                        sub = submissions[int(rng.integers(len(submissions)))]
                        copy.write(f"{asset_id}\t{sub}\t{org}\t{campaign}\timage\tready\tk\tp.jpg\t1\t{{}}\t"
                                   f"{taken}\t{taken}\t{taken}\n")
                with cursor.copy("COPY asset_embedding (asset_id, model, embedding) FROM STDIN") as copy:
                    for batch in range(0, args.photos, 5000):
                        vectors = rng.standard_normal((min(5000, args.photos - batch), DIM)).astype(np.float32)
                        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                        copy.write("".join(f"{ids[batch + j]}\tchinese-clip\t[{','.join(f'{v:.5f}' for v in row)}]\n"
                                           for j, row in enumerate(vectors)))
                raw.commit()
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE asset"))
                conn.execute(text("VACUUM ANALYZE asset_embedding"))
            print(f"{args.photos:,} photos over {minutes:,.0f} min (the density of {PER_WEEK:,} a week), "
                  f"{len(submissions):,} submissions, {DIM}-d embeddings: loaded in "
                  f"{time.perf_counter() - started:.0f} s")
            engine.dispose()
            pg.stop()
            pg.start()
            engine = create_engine(pg.url)
            picks = [ids[int(i)] for i in rng.integers(len(ids), size=args.queries)]
            timings, candidates = [], []
            with Session(engine) as session:
                for asset_id in picks:
                    asset = session.get(Asset, asset_id)
                    assert asset is not None
                    assert asset.capture_time is not None
                    vector = [float(v) for v in session.scalar(
                        select(AssetEmbedding.embedding).where(AssetEmbedding.asset_id == asset_id))]
                    t = time.perf_counter()
                    visual_neighbours(session, asset, vector, "chinese-clip", SIMILAR_SHOT_MIN_COSINE)
                    timings.append((time.perf_counter() - t) * 1000)
                    if len(candidates) < 20:
                        window = timedelta(minutes=10)
                        candidates.append(session.scalar(select(func.count()).select_from(Asset).where(
                            (Asset.submission_id == asset.submission_id)
                            | ((Asset.campaign_id == asset.campaign_id)
                               & Asset.capture_time.between(asset.capture_time - window,
                                                            asset.capture_time + window)))))
                    session.rollback()
                asset = session.get(Asset, picks[0])
                vector = [float(v) for v in session.scalar(
                    select(AssetEmbedding.embedding).where(AssetEmbedding.asset_id == picks[0]))]
                statement = visual_query(session, asset, vector, "chinese-clip", SIMILAR_SHOT_MIN_COSINE)
                compiled = statement.compile(session.get_bind())
                params = {k: "[" + ",".join(map(str, v)) + "]" if isinstance(v, list) else v  # vector as text
                          for k, v in compiled.params.items()}
                plan = [row[0] for row in session.connection().exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params).all()]
                unbounded = []
                for asset_id in picks[:args.unbounded]:
                    t = time.perf_counter()
                    session.execute(text(
                        "SELECT asset_id FROM asset_embedding ORDER BY embedding <=> "
                        "(SELECT embedding FROM asset_embedding WHERE asset_id = :a) LIMIT 12"), {"a": asset_id})
                    unbounded.append((time.perf_counter() - t) * 1000)
            print(f"visual_neighbours, cold, {args.queries} photos: p50 {statistics.median(timings):.1f} ms, "
                  f"p95 {float(np.percentile(timings, 95)):.1f} ms, max {max(timings):.1f} ms; candidates per photo "
                  f"(first 20) median {statistics.median(candidates):,.0f}, max {max(candidates):,}")
            if unbounded:
                print(f"the same ranking over all {args.photos:,} embeddings (no bound), {len(unbounded)} photos: "
                      f"median {statistics.median(unbounded):.0f} ms")
            print("plan of the bounded query:\n  " + "\n  ".join(plan))
            engine.dispose()
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
