"""tus uploads end to end: stock client (tuspy), real uvicorn, real S3/PostgreSQL/Redis, real Celery worker."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from tusclient import client as tus_client

from service.core.storage import get_storage
from service.db.org import Role
from tests.support import (
    LiveAPI,
    make_actor,
    make_campaign,
    make_submission,
    media_bytes,
    tus_metadata,
    wait_for_asset,
    write_media,
)

TUS = {"Tus-Resumable": "1.0.0"}


def stored_sha256(key: str) -> str:
    digest = hashlib.sha256()
    for chunk in get_storage().iter_object(key):
        digest.update(chunk)
    return digest.hexdigest()


def test_tuspy_uploads_in_chunks_and_verify_stores_the_original(
    live_api: LiveAPI, http: httpx.Client, worker: object, tmp_path: Path
) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    path = tmp_path / "开放校园 活动.jpg"
    sha = write_media(path, 11 * 1024 * 1024 + 123, "jpeg", seed=1)
    tus = tus_client.TusClient(f"{live_api.url}/api/v1/uploads", headers=alice.headers)
    # 3 MiB chunks: below the 8 MiB part size, so tails are carried from PATCH to PATCH.
    uploader = tus.uploader(str(path), chunk_size=3 * 1024 * 1024,
                            metadata={"submission_id": str(submission), "filename": path.name, "sha256": sha})
    uploader.upload()
    asset_id = uploader.request.response_headers["x-asset-id"]

    asset = wait_for_asset(http, asset_id, alice.headers, {"stored", "processing", "ready"})
    assert asset["sha256"] == sha
    assert asset["original_filename"] == path.name
    assert asset["size"] == path.stat().st_size
    assert asset["mime"] == "image/jpeg"
    verify_job = next(j for j in asset["jobs"] if j["step"] == "verify")  # type: ignore[union-attr]
    assert verify_job["status"] == "done"
    original = http.get(f"/api/v1/assets/{asset_id}/original", headers=alice.headers)
    assert original.status_code == 307
    assert hashlib.sha256(httpx.get(original.headers["location"]).content).hexdigest() == sha


def test_creation_with_upload_answers_with_the_asset_id(http: httpx.Client) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    body = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000
    created = http.post("/api/v1/uploads", content=body, headers={
        **alice.headers, **TUS, "Upload-Length": str(len(body)), "Content-Type": "application/offset+octet-stream",
        "Upload-Metadata": tus_metadata(submission_id=str(submission), filename="a.png")})
    assert created.status_code == 201, created.text
    assert created.headers["tus-resumable"] == "1.0.0"
    assert created.headers["upload-offset"] == str(len(body))
    asset = http.get(f"/api/v1/assets/{created.headers['x-asset-id']}", headers=alice.headers).json()
    assert asset["status"] in ("uploading", "stored", "ready")
    assert asset["mime"] == "image/png"
    head = http.head(created.headers["location"], headers={**alice.headers, **TUS})
    assert head.status_code == 200
    assert head.headers["upload-offset"] == head.headers["upload-length"] == str(len(body))
    assert head.headers["cache-control"] == "no-store"


def test_options_advertises_the_extensions(http: httpx.Client) -> None:
    response = http.options("/api/v1/uploads")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {
        "creation", "creation-with-upload", "termination", "checksum", "expiration"}
    assert response.headers["tus-checksum-algorithm"] == "sha256"
    assert int(response.headers["tus-max-size"]) > 0
    assert response.headers["tus-resumable"] == "1.0.0"


def test_exact_duplicates_are_linked_not_dropped(http: httpx.Client, worker: object) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    body = media_bytes(12_000, "jpeg", seed=77)
    ids = []
    for name in ("first.jpg", "again.jpg"):
        created = http.post("/api/v1/uploads", content=body, headers={
            **alice.headers, **TUS, "Upload-Length": str(len(body)),
            "Content-Type": "application/offset+octet-stream",
            "Upload-Metadata": tus_metadata(submission_id=str(submission), filename=name)})
        assert created.status_code == 201, created.text
        ids.append(created.headers["x-asset-id"])
        wait_for_asset(http, ids[-1], alice.headers, {"ready"}, timeout=300)
    second = http.get(f"/api/v1/assets/{ids[1]}", headers=alice.headers).json()
    assert second["exact_of"] == ids[0]
    assert http.get(f"/api/v1/assets/{ids[0]}", headers=alice.headers).json()["exact_of"] is None
