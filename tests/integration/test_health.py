"""Readiness reflects the real servers."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {"database", "broker", "storage"}


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/submissions" in spec["paths"]
    assert "/api/v1/assets/{asset_id}" in spec["paths"]
