"""Review queue latency at scale: p50/p95 of the filtered queue API and page with N seeded assets.

    python -m tests.bench.bench_queue [--assets 1000000] [--requests 30] [--data DIR]

Starts its own embedded servers (or reuses ``--data`` with an already seeded database), seeds with SQL, then times
the API (bearer token) and the page (cookie session) through a real uvicorn process. Baselines measured in the same
run: ``GET /healthz`` (the HTTP floor of this stack) and, for deep pages, OFFSET pagination vs the keyset cursor.
Targets (issue 5): API p95 ≤ 150 ms, page p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from service.cli.context import use_data_dir
from service.core.db import get_engine, session_scope
from service.core.embedded import EmbeddedServers
from service.db.campaign import Campaign
from service.db.migrate import upgrade
from service.db.org import Role
from service.db.review import Review
from tests.bench.seed_review import seed
from tests.support import LiveAPI, make_actor, web_login

PASSWORD = "bench-password-2023"
#: (label, query parameters): what editors filter by during the week
SCENARIOS: list[tuple[str, dict[str, str]]] = [
    ("pending, newest", {}),
    ("region 37 (Shandong)", {"region": "37"}),
    ("finding qr, by risk", {"finding": "qr", "sort": "risk"}),
    ("tag 技能大赛", {"tag": "技能大赛"}),
    ("video, by quality", {"kind": "video", "sort": "quality"}),
    ("search 职业教育活动周 (trigram)", {"q": "职业教育活动周"}),
    ("search 焊接技能 (trigram)", {"q": "焊接技能"}),
    ("search 茶艺 (2 chars)", {"q": "茶艺"}),
    ("uploaded in a day, oldest", {"uploaded_from": "", "uploaded_to": "", "sort": "oldest"}),
    ("all statuses, newest", {"status": "all"}),
]


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client: httpx.Client, url: str, params: dict[str, str], n: int, **kwargs: Any) -> list[float]:
    client.get(url, params=params, **kwargs).raise_for_status()  # warm-up (plans, caches)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, params=params, **kwargs).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def offset_vs_keyset(depth: int) -> tuple[float, float]:
    """ms for page ``depth/48`` of the pending queue by OFFSET and by keyset (SQL only)."""
    with get_engine().connect() as conn:
        row = conn.execute(text(
            "SELECT uploaded_at, asset_id FROM review WHERE review_status = 'pending' "
            "ORDER BY uploaded_at DESC, asset_id DESC OFFSET :d LIMIT 1"), {"d": depth}).first()
        assert row is not None
        timings = []
        for sql, params in (
            ("SELECT asset_id FROM review WHERE review_status = 'pending' ORDER BY uploaded_at DESC, asset_id DESC "
             "OFFSET :d LIMIT 48", {"d": depth}),
            ("SELECT asset_id FROM review WHERE review_status = 'pending' AND (uploaded_at, asset_id) < (:u, :a) "
             "ORDER BY uploaded_at DESC, asset_id DESC LIMIT 48", {"u": row[0], "a": row[1]}),
        ):
            conn.execute(text(sql), params).all()
            started = time.perf_counter()
            for _ in range(10):
                conn.execute(text(sql), params).all()
            timings.append((time.perf_counter() - started) * 100)
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--data", type=Path, default=None, help="reuse this data folder (seeded once)")
    args = parser.parse_args()
    root = (args.data or Path(tempfile.mkdtemp(prefix="mediadesk-bench-"))).resolve()
    servers = EmbeddedServers(root)
    servers.start()
    try:
        os.environ.update(servers.environment())
        os.environ["MEDIADESK_ENV"] = "test"
        os.environ["MEDIADESK_DATA_DIR"] = str(root)
        use_data_dir(None)
        upgrade(servers.postgres.url)
        with session_scope() as session:
            have = session.scalar(select(func.count()).select_from(Review)) or 0
        if have < args.assets:
            print(f"seeding {args.assets:,} assets into {root} …", flush=True)  # noqa: T201
            print(f"seeded in {seed(get_engine(), assets=args.assets):.0f} s", flush=True)  # noqa: T201
        run(servers, args.requests)
    finally:
        servers.stop()


def run(servers: EmbeddedServers, n: int) -> None:
    with session_scope() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == "bench-campaign"))
        rows = session.scalar(select(func.count()).select_from(Review)) or 0
        day = session.scalar(select(func.max(Review.uploaded_at)))
    assert day is not None
    editor = make_actor(Role.editor, password=PASSWORD)
    env = {**os.environ, **servers.environment(), "MEDIADESK_ENV": "test",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    api = LiveAPI(env, Path(tempfile.mkdtemp(prefix="bench-logs-"))).start()
    try:
        with httpx.Client(base_url=api.url, timeout=60) as client, httpx.Client(base_url=api.url, timeout=60) as web:
            web_login(web, editor.username, PASSWORD)
            floor = timed(client, "/healthz", {}, n)
            print(f"\n{rows:,} assets in review; {n} requests per scenario; 2-core machine shared with other "  # noqa: T201
                  f"jobs\nbaseline GET /healthz: p50 {percentile(floor, 50):.1f} ms, "
                  f"p95 {percentile(floor, 95):.1f} ms\n")
            print(f"{'scenario':38} {'API p50':>8} {'API p95':>8} {'page p50':>9} {'page p95':>9}")  # noqa: T201
            api_all: list[float] = []
            page_all: list[float] = []
            for label, params in SCENARIOS:
                query = {"campaign_id": str(campaign_id), **params}
                if "uploaded_from" in query:
                    query["uploaded_from"] = query["uploaded_to"] = day.date().isoformat()
                a = timed(client, "/api/v1/review/queue", query, n, headers=editor.headers)
                p = timed(web, "/review", query, n)
                api_all += a
                page_all += p
                print(f"{label:38} {percentile(a, 50):8.1f} {percentile(a, 95):8.1f} "  # noqa: T201
                      f"{percentile(p, 50):9.1f} {percentile(p, 95):9.1f}")
            cursor_page = client.get("/api/v1/review/queue", params={"campaign_id": str(campaign_id)},
                                     headers=editor.headers).json()["next_cursor"]
            deep = timed(client, "/api/v1/review/queue", {"campaign_id": str(campaign_id), "cursor": cursor_page},
                         n, headers=editor.headers)
            print(f"{'page 2 by cursor':38} {percentile(deep, 50):8.1f} {percentile(deep, 95):8.1f}")  # noqa: T201
            a95, p95 = percentile(api_all, 95), percentile(page_all, 95)
            print(f"\nall scenarios: API p50 {percentile(api_all, 50):.1f} ms p95 {a95:.1f} ms (target ≤ 150); "  # noqa: T201
                  f"page p50 {percentile(page_all, 50):.1f} ms p95 {p95:.1f} ms (target ≤ 300)")
            print(f"ratio API p95 / healthz p95: {a95 / percentile(floor, 95):.1f}×")  # noqa: T201
            off, key = offset_vs_keyset(min(rows // 2, 200_000))
            print(f"deep page (offset {min(rows // 2, 200_000):,}): OFFSET {off:.1f} ms vs keyset {key:.1f} ms "  # noqa: T201
                  f"→ keyset {off / key:.0f}× faster")
    finally:
        api.stop()


if __name__ == "__main__":
    sys.exit(main())
