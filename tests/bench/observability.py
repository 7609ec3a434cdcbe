"""Cost of the observability middleware (request id, latency histogram, access log) per API request.

    python -m tests.bench.observability [requests]

Baseline measured in the same run: the same async FastAPI route without the middleware, both driven through ASGI
directly (no sockets, no TestClient), so that the difference is the middleware alone. The access log goes through
the JSON formatter into /dev/null, as in production minus the I/O.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from service.ops import logs
from service.ops.observability import RequestContextMiddleware


def build(with_middleware: bool) -> FastAPI:
    app = FastAPI()
    if with_middleware:
        app.add_middleware(RequestContextMiddleware)

    @app.get("/api/v1/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    return app


async def per_request_us(app: FastAPI, count: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    start = time.perf_counter()
    for i in range(count):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "path": f"/api/v1/items/{i}", "raw_path": f"/api/v1/items/{i}".encode(), "query_string": b"",
                 "headers": [(b"host", b"bench")], "scheme": "http", "server": ("bench", 80), "client": ("c", 1),
                 "root_path": ""}
        await app(scope, receive, send)
    return (time.perf_counter() - start) / count * 1e6


async def run(count: int) -> tuple[float, float]:
    plain, observed = build(False), build(True)
    await per_request_us(plain, 300)
    await per_request_us(observed, 300)  # warm-up
    rounds: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(7):  # interleaved, so that machine noise hits both alike
        rounds[False].append(await per_request_us(plain, count))
        rounds[True].append(await per_request_us(observed, count))
    return statistics.median(rounds[False]), statistics.median(rounds[True])


def main(count: int) -> None:
    logs.configure("json", "INFO")
    for handler in logging.getLogger().handlers:
        handler.stream = Path(os.devnull).open("w")  # noqa: SIM115 - lives as long as the benchmark
    base, observed = asyncio.run(run(count))
    print(f"requests per round: {count}, rounds: 7 (median)")  # noqa: T201
    print(f"baseline (no middleware): {base:8.1f} µs/request")  # noqa: T201
    print(f"with observability:       {observed:8.1f} µs/request")  # noqa: T201
    print(f"ratio: {observed / base:.2f}x, added: {observed - base:.1f} µs/request")  # noqa: T201


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
