"""The asset read API as submitters, editors and outlets see it, with assets made by real tus uploads."""

from __future__ import annotations

import hashlib
import uuid
from urllib.parse import parse_qs, urlparse

import httpx

from service.db.org import Role
from tests import media_samples as media
from tests.support import make_actor, make_campaign, make_submission, media_bytes, tus_metadata, wait_for_asset


def upload(http: httpx.Client, headers: dict[str, str], submission: uuid.UUID, data: bytes, name: str) -> str:
    created = http.post("/api/v1/uploads", content=data, headers={
        **headers, "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
        "Upload-Length": str(len(data)), "Upload-Metadata": tus_metadata(submission_id=str(submission),
                                                                         filename=name)})
    assert created.status_code == 201, created.text
    return created.headers["x-asset-id"]


def test_read_list_filter_and_download(http: httpx.Client, worker: object) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    photo, video = media.image_bytes("JPEG", 640, 480), media.video_bytes("mp4", 640, 480, seconds=1.5)
    photo_id = upload(http, alice.headers, submission, photo, "开幕式.jpg")
    video_id = upload(http, alice.headers, submission, video, "实训.mp4")
    asset = wait_for_asset(http, photo_id, alice.headers, {"ready", "rejected_invalid", "failed"}, timeout=300)
    wait_for_asset(http, video_id, alice.headers, {"ready", "rejected_invalid", "failed"}, timeout=300)
    for key in ("id", "status", "reason", "sha256", "renditions", "original_filename", "size", "kind", "jobs"):
        assert key in asset
    assert (asset["kind"], asset["status"], asset["reason"], asset["original_filename"]) == (
        "image", "ready", None, "开幕式.jpg")
    assert {"thumb", "preview", "web"} <= {r["name"] for r in asset["renditions"]}

    def ids(**params: object) -> set[str]:
        body = http.get("/api/v1/assets", params={"submission_id": str(submission), **params},
                        headers=alice.headers).json()
        return {item["id"] for item in body["items"]}

    assert ids() == {photo_id, video_id}
    assert ids(kind="video") == {video_id}
    assert ids(sha256=hashlib.sha256(photo).hexdigest()) == {photo_id}
    assert ids(status="rejected_invalid") == set()

    original = http.get(f"/api/v1/assets/{photo_id}/original", headers=alice.headers)
    assert original.status_code == 307
    assert original.headers["cache-control"] == "no-store"
    link = original.headers["location"]
    assert int(parse_qs(urlparse(link).query)["X-Amz-Expires"][0]) <= 3600  # short-lived
    download = httpx.get(link)
    assert download.content == photo
    assert "filename*=UTF-8''" in download.headers.get("content-disposition", "")


def test_scope_submitters_editors_outlets(http: httpx.Client) -> None:
    alice, bob = make_actor(Role.submitter), make_actor(Role.submitter)
    editor, outlet = make_actor(Role.editor), make_actor(Role.outlet)
    submission = make_submission(alice, make_campaign())
    asset_id = upload(http, alice.headers, submission, media_bytes(3000, seed=43), "a.jpg")
    for actor in (bob, outlet):
        response = http.get(f"/api/v1/assets/{asset_id}", headers=actor.headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert http.get(f"/api/v1/assets/{asset_id}/original", headers=actor.headers).status_code == 404
        listed = http.get("/api/v1/assets", params={"submission_id": str(submission)}, headers=actor.headers)
        assert listed.json()["total"] == 0
    assert http.get(f"/api/v1/assets/{asset_id}", headers=editor.headers).status_code == 200
    assert http.get(f"/api/v1/assets/{asset_id}").status_code == 401
    assert http.get("/api/v1/assets/not-a-uuid", headers=alice.headers).status_code == 422


def test_openapi_lists_the_upload_and_asset_endpoints(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/uploads", "/api/v1/uploads/{upload_id}", "/api/v1/uploads/lookup", "/api/v1/assets",
                 "/api/v1/assets/{asset_id}", "/api/v1/assets/{asset_id}/original"):
        assert path in paths
