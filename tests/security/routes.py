"""The app's routes as (method, path) keys, and those the access matrix covers: tests/security/test_access_matrix.py
fails when an app route has no row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.security.matrix import CASES


def route_keys(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app serves; HEAD is implied by GET, a mounted app counts as one ``MOUNT`` entry."""
    return set(_walk(app.routes, ""))


def _walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
    from starlette.routing import Mount

    for route in routes:
        if hasattr(route, "original_router") and hasattr(route, "include_context"):
            # FastAPI ≥ 0.16x keeps included routers as lazy ``_IncludedRouter`` nodes: descend into them.
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
            continue
        if isinstance(route, Mount):
            yield "MOUNT", prefix + route.path
            continue
        methods = set(getattr(route, "methods", None) or ())
        if "GET" in methods:
            methods.discard("HEAD")
        for method in methods:
            yield method, prefix + route.path


def covered_keys() -> set[tuple[str, str]]:
    return {(case.method, case.route) for case in CASES}
