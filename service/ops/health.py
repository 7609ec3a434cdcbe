"""Liveness (/healthz) and readiness (/readyz: database, broker and storage all answer)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from service.core.db import get_engine
from service.core.storage import get_storage
from service.core.tasks import ping_broker

router = APIRouter(tags=["operations"])
_pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="readyz")


def _check_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def _check_broker() -> None:
    ping_broker()


def _check_storage() -> None:
    get_storage().ping()


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> JSONResponse:
    results: dict[str, Any] = {}
    futures = {name: _pool.submit(_timed, check) for name, check in CHECKS.items()}
    for name, future in futures.items():
        try:
            results[name] = {"ok": True, "ms": round(future.result(timeout=5), 1)}
        except Exception as exc:  # reported per dependency; never a 500
            results[name] = {"ok": False, "error": exc.__class__.__name__}
    ready = all(r["ok"] for r in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": results},
        status_code=200 if ready else 503,
        headers={} if ready else {"Retry-After": "5"},
    )


def _timed(check: Any) -> float:
    start = time.perf_counter()
    check()
    return (time.perf_counter() - start) * 1000
