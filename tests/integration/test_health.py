"""Readiness reflects the real servers: 200 when all three answer, 503 (with Retry-After) while any one is down."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.core.embedded import EmbeddedServers
from tests.support import LiveAPI, wait_until


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {"database", "broker", "storage"}


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/submissions" in spec["paths"]
    assert "/api/v1/assets/{asset_id}" in spec["paths"]


# --- readiness follows each server down and up again (a stack of its own: the session's servers stay untouched) ---

@pytest.fixture(scope="module")
def own_stack(child_env: dict[str, str], logs_dir: Path) -> Iterator[tuple[EmbeddedServers, LiveAPI]]:
    root = Path(tempfile.mkdtemp(prefix="mediadesk-readyz-"))
    stack = EmbeddedServers(root)
    stack.start()
    api = LiveAPI(child_env | stack.environment(), logs_dir)
    try:
        api.start()
        yield stack, api
    finally:
        api.stop()
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


def _readyz(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=30)


@pytest.mark.parametrize(("server", "check"), [("postgres", "database"), ("redis", "broker"), ("s3", "storage")])
def test_readyz_is_503_while_a_server_is_down(own_stack: tuple[EmbeddedServers, LiveAPI], server: str,
                                              check: str) -> None:
    stack, api = own_stack
    wait_until(lambda: _readyz(api.url).status_code == 200, 30, 0.3, "readiness before the fault")
    target = getattr(stack, server)
    target.kill()
    started = time.monotonic()
    down = _readyz(api.url)
    assert time.monotonic() - started < 10, "readiness must answer promptly while a server is down"
    assert down.status_code == 503, down.text
    assert down.headers["retry-after"]
    body = down.json()
    assert body["status"] == "unavailable"
    assert {name for name, result in body["checks"].items() if not result["ok"]} == {check}
    target.start()
    wait_until(lambda: _readyz(api.url).status_code == 200, 30, 0.3, f"readiness after {server} came back")
