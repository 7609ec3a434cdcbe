"""S3 or Redis unreachable: uploads answer 503 with Retry-After, nothing half-written becomes visible, and what was
stored before stays. Each outage is a dedicated API process pointed at a closed port (the shared servers keep
running for the other tests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.core.embedded import free_port
from service.db.org import Role
from tests.support import LiveAPI, make_actor, make_campaign, make_submission, media_bytes, tus_metadata

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}


@pytest.fixture(params=["storage", "broker"])
def broken_api(request: pytest.FixtureRequest, child_env: dict[str, str], logs_dir: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    override = ({"MEDIADESK_S3_ENDPOINT": f"127.0.0.1:{port}"} if request.param == "storage"
                else {"MEDIADESK_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    api = LiveAPI({**child_env, **override}, logs_dir).start()
    try:
        yield request.param, api.url
    finally:
        api.stop()


def test_outage_answers_503_and_loses_nothing(broken_api: tuple[str, str], http: httpx.Client,
                                              worker: object) -> None:
    outage, broken_url = broken_api
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    meta = tus_metadata(submission_id=str(submission), filename="b.jpg")
    earlier = media_bytes(5000, seed=11)
    stored = http.post("/api/v1/uploads", content=earlier, headers={
        **alice.headers, **TUS, **OCTETS, "Upload-Length": str(len(earlier)), "Upload-Metadata": meta})
    assert stored.status_code == 201
    data = media_bytes(9000, seed=12)
    started = http.post("/api/v1/uploads", headers={**alice.headers, **TUS, "Upload-Length": str(len(data)),
                                                    "Upload-Metadata": meta})
    location = started.headers["location"]
    assert http.patch(location, content=data[:4000], headers={
        **alice.headers, **TUS, **OCTETS, "Upload-Offset": "0"}).status_code == 204

    with httpx.Client(base_url=broken_url, timeout=60) as broken:
        created = broken.post("/api/v1/uploads", content=data, headers={
            **alice.headers, **TUS, **OCTETS, "Upload-Length": str(len(data)), "Upload-Metadata": meta})
        _assert_unavailable(created)
        # The rest of a started upload through the broken replica: refused, and the offset does not move.
        rest = broken.patch(location, content=data[4000:], headers={
            **alice.headers, **TUS, **OCTETS, "Upload-Offset": "4000"})
        _assert_unavailable(rest)
        assert "x-asset-id" not in rest.headers

    head = http.head(location, headers={**alice.headers, **TUS})
    assert head.headers["upload-offset"] == "4000"
    assets = http.get("/api/v1/assets", params={"submission_id": str(submission)}, headers=alice.headers).json()
    assert [a["id"] for a in assets["items"]] == [stored.headers["x-asset-id"]]  # nothing half-written visible
    # Once the replica is healthy again, the upload resumes where it stopped.
    done = http.patch(location, content=data[4000:], headers={**alice.headers, **TUS, **OCTETS,
                                                             "Upload-Offset": "4000"})
    assert done.status_code == 204, done.text
    original = http.get(f"/api/v1/assets/{stored.headers['x-asset-id']}/original", headers=alice.headers)
    assert httpx.get(original.headers["location"]).content == earlier
    assert uuid.UUID(done.headers["x-asset-id"])


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert response.json()["code"] == "service_unavailable"
    assert response.headers["tus-resumable"] == "1.0.0"
