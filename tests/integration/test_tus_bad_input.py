"""Every bad input of the upload path gets a specific answer, and none of them loses an asset already stored."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.org import Organization, Role
from service.db.upload import Upload
from service.ingest.uploads import expire_uploads
from tests.support import (
    Actor,
    make_actor,
    make_campaign,
    make_submission,
    media_bytes,
    set_campaign,
    tus_metadata,
    wait_for_asset,
)

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}


def create(http: httpx.Client, actor: Actor, submission: uuid.UUID, length: int, filename: str = "a.jpg",
           body: bytes | None = None, **meta: str) -> httpx.Response:
    headers = {**actor.headers, **TUS, "Upload-Length": str(length),
               "Upload-Metadata": tus_metadata(submission_id=str(submission), filename=filename, **meta)}
    if body is not None:
        headers.update(OCTETS)
    return http.post("/api/v1/uploads", headers=headers, content=body or b"")


def patch(http: httpx.Client, actor: Actor, location: str, offset: int, data: bytes,
          **headers: str) -> httpx.Response:
    return http.patch(location, content=data, headers={**actor.headers, **TUS, **OCTETS,
                                                       "Upload-Offset": str(offset), **headers})


def upload_whole(http: httpx.Client, actor: Actor, submission: uuid.UUID, data: bytes, **meta: str) -> str:
    created = create(http, actor, submission, len(data), body=data, **meta)
    assert created.status_code == 201, created.text
    return created.headers["x-asset-id"]


def problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert " / " in str(body["detail"])  # zh-CN / English
    return body


@pytest.fixture
def alice_sub(http: httpx.Client) -> tuple[Actor, uuid.UUID]:
    alice = make_actor(Role.submitter)
    return alice, make_submission(alice, make_campaign())


def test_wrong_or_missing_token(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    for headers in ({}, {"Authorization": "Bearer mdk_wrong"}, {"Authorization": "Basic YTpi"}):
        response = http.post("/api/v1/uploads", headers={**headers, **TUS, "Upload-Length": "10",
                             "Upload-Metadata": tus_metadata(submission_id=str(submission), filename="a.jpg")})
        problem(response, 401, "unauthorized")
        assert response.headers["tus-resumable"] == "1.0.0"
    location = create(http, alice, submission, 10).headers["location"]
    assert http.head(location, headers=TUS).status_code == 401
    problem(patch(http, alice, location, 0, b"x", Authorization="Bearer mdk_nope"), 401, "unauthorized")


def test_another_organisations_submission_and_upload(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    mallory = make_actor(Role.submitter)
    problem(create(http, mallory, submission, 10), 404, "not_found")
    location = create(http, alice, submission, 10).headers["location"]
    assert http.head(location, headers={**mallory.headers, **TUS}).status_code == 404
    problem(patch(http, mallory, location, 0, b"\xff\xd8\xff" + b"0" * 7), 404, "not_found")
    assert http.delete(location, headers={**mallory.headers, **TUS}).status_code == 404
    assert http.head(location, headers={**alice.headers, **TUS}).headers["upload-offset"] == "0"


def test_outside_the_upload_window(http: httpx.Client) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign(open_now=False))
    problem(create(http, alice, submission, 10), 403, "upload_window_closed")


def test_over_quota_and_over_the_size_limit(http: httpx.Client, worker: object) -> None:
    alice = make_actor(Role.submitter)
    campaign = make_campaign()
    set_campaign(campaign, org_quota_bytes=30_000, max_image_bytes=20_000, max_video_bytes=25_000)
    submission = make_submission(alice, campaign)
    stored = upload_whole(http, alice, submission, media_bytes(15_000, "jpeg"))
    body = problem(create(http, alice, submission, 16_000), 413, "quota_exceeded")
    assert body["quota_bytes"] == 30_000
    problem(create(http, alice, submission, 26_000), 413, "file_too_large")  # above every kind's limit
    # 22 kB fits the video limit but not the image limit: refused as soon as the first bytes show a JPEG.
    with session_scope() as session:
        org = session.get(Organization, alice.org_id)
        assert org is not None
        org.quota_bytes = 100_000  # the organisation's own quota overrides the campaign's
    problem(create(http, alice, submission, 22_000, body=media_bytes(22_000, "jpeg")), 413, "file_too_large")
    assert upload_whole(http, alice, submission, media_bytes(22_000, "mp4"))
    wait_for_asset(http, stored, alice.headers, {"stored", "processing", "ready"})


def test_offset_mismatch_is_409_and_keeps_the_bytes(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    data = media_bytes(10_000)
    location = create(http, alice, submission, len(data)).headers["location"]
    assert patch(http, alice, location, 0, data[:4000]).headers["upload-offset"] == "4000"
    body = problem(patch(http, alice, location, 3000, data[3000:]), 409, "offset_mismatch")
    assert body["offset"] == 4000
    finished = patch(http, alice, location, 4000, data[4000:])
    assert finished.status_code == 204
    asset_id = finished.headers["x-asset-id"]
    asset = http.get(f"/api/v1/assets/{asset_id}", headers=alice.headers).json()
    assert asset["size"] == len(data)
    key = _asset_key(asset_id)
    assert hashlib.sha256(get_storage().get_bytes(key)).hexdigest() == hashlib.sha256(data).hexdigest()


def test_chunk_checksum_mismatch_is_460_and_the_chunk_is_discarded(
    http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]
) -> None:
    alice, submission = alice_sub
    data = media_bytes(9000)
    location = create(http, alice, submission, len(data)).headers["location"]

    def checksum(chunk: bytes) -> str:
        return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()

    good = patch(http, alice, location, 0, data[:5000], **{"Upload-Checksum": checksum(data[:5000])})
    assert good.status_code == 204
    problem(patch(http, alice, location, 5000, data[5000:], **{"Upload-Checksum": checksum(b"other")}),
            460, "checksum_mismatch")
    assert http.head(location, headers={**alice.headers, **TUS}).headers["upload-offset"] == "5000"
    problem(patch(http, alice, location, 5000, data[5000:], **{"Upload-Checksum": "md5 AAAA"}), 400,
            "checksum_algorithm_unsupported")
    done = patch(http, alice, location, 5000, data[5000:], **{"Upload-Checksum": checksum(data[5000:])})
    assert done.status_code == 204
    assert "x-asset-id" in done.headers


def test_whole_file_checksum_mismatch_rejects_and_deletes_the_bytes(
    http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID], worker: object
) -> None:
    alice, submission = alice_sub
    kept = upload_whole(http, alice, submission, media_bytes(6000, seed=5))
    data = media_bytes(7000, seed=6)
    asset_id = upload_whole(http, alice, submission, data, sha256=hashlib.sha256(b"something else").hexdigest())
    asset = wait_for_asset(http, asset_id, alice.headers, {"rejected_invalid"})
    assert asset["reason"]["code"] == "checksum_mismatch"  # type: ignore[index]
    assert not get_storage().exists(_asset_key(asset_id))
    assert http.get(f"/api/v1/assets/{asset_id}/original", headers=alice.headers).status_code == 409
    assert wait_for_asset(http, kept, alice.headers, {"stored", "processing", "ready"})


@pytest.mark.parametrize(("content", "words"), [
    (b"PK\x03\x04" + b"\x00" * 500, "ZIP"),
    (b"GIF89a" + b"\x00" * 500, "GIF"),
    (b"%PDF-1.7\n" + b"0" * 500, "PDF"),
    (b"<!DOCTYPE html><html><body>hi</body></html>" + b" " * 500, "HTML"),
    ("活动周 plain text\n".encode() * 40, "text"),
])
def test_not_an_image_or_video_is_415_with_the_reason(
    http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID], content: bytes, words: str
) -> None:
    alice, submission = alice_sub
    created = create(http, alice, submission, len(content) + 100, filename="photo.jpg")
    location = created.headers["location"]
    body = problem(patch(http, alice, location, 0, content), 415, "unsupported_type")
    assert words in str(body["detail"])
    assert http.head(location, headers={**alice.headers, **TUS}).status_code == 410
    problem(create(http, alice, submission, len(content), body=content), 415, "unsupported_type")


def test_zero_byte_file_is_refused(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    problem(create(http, alice, submission, 0), 400, "empty_file")


def test_filename_with_path_traversal_and_control_characters(
    http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]
) -> None:
    alice, submission = alice_sub
    name = "../../etc/\x00pass\x1bwd\u202e.jpg"
    asset_id = upload_whole(http, alice, submission, media_bytes(3000), filename=name)
    key = _asset_key(asset_id)
    assert key.endswith(f"/{asset_id}/passwd.jpg")
    assert ".." not in key
    asset = http.get(f"/api/v1/assets/{asset_id}", headers=alice.headers).json()
    assert asset["original_filename"] == "../../etc/passwd.jpg"  # display only


def test_bad_headers_get_specific_codes(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    base = {**alice.headers, **TUS}
    problem(http.post("/api/v1/uploads", headers={**base, "Upload-Metadata": tus_metadata(
        submission_id=str(submission), filename="a.jpg")}), 400, "missing_upload_length")
    problem(http.post("/api/v1/uploads", headers={**base, "Upload-Length": "-1"}), 400, "invalid_upload_length")
    problem(http.post("/api/v1/uploads", headers={**base, "Upload-Length": "5", "Upload-Metadata": "filename ***"}),
            400, "invalid_metadata")
    problem(http.post("/api/v1/uploads", headers={**base, "Upload-Length": "5", "Upload-Metadata": tus_metadata(
        filename="a.jpg")}), 400, "missing_submission_id")
    problem(create(http, alice, submission, 5, sha256="xyz"), 400, "invalid_sha256")
    problem(http.post("/api/v1/uploads", headers={**alice.headers, "Upload-Length": "5"}), 412,
            "tus_version_unsupported")
    location = create(http, alice, submission, 5).headers["location"]
    problem(http.patch(location, content=b"\xff\xd8\xff00", headers={**base, "Upload-Offset": "0",
                                                                         "Content-Type": "image/jpeg"}),
            415, "wrong_content_type")
    problem(patch(http, alice, location, 0, b"\xff\xd8\xff" + b"0" * 10), 413, "exceeds_upload_length")


def test_termination_aborts_the_multipart(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    data = media_bytes(8000)
    location = create(http, alice, submission, len(data)).headers["location"]
    patch(http, alice, location, 0, data[:3000])
    upload_id = uuid.UUID(location.rsplit("/", 1)[1])
    assert get_storage().list_keys(f"uploads/{upload_id}/")  # the tail
    deleted = http.delete(location, headers={**alice.headers, **TUS})
    assert deleted.status_code == 204
    assert deleted.headers["tus-resumable"] == "1.0.0"
    assert http.head(location, headers={**alice.headers, **TUS}).status_code == 410
    problem(patch(http, alice, location, 3000, data[3000:]), 410, "upload_gone")
    assert get_storage().list_keys(f"uploads/{upload_id}/") == []
    assert http.delete(location, headers={**alice.headers, **TUS}).status_code == 410


def test_expired_uploads_are_cleaned_up_idempotently(http: httpx.Client, alice_sub: tuple[Actor, uuid.UUID]) -> None:
    alice, submission = alice_sub
    data = media_bytes(8000)
    location = create(http, alice, submission, len(data)).headers["location"]
    patch(http, alice, location, 0, data[:3000])
    upload_id = uuid.UUID(location.rsplit("/", 1)[1])
    with session_scope() as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None
        upload.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert http.head(location, headers={**alice.headers, **TUS}).status_code == 410
    assert expire_uploads() >= 1
    assert expire_uploads() == 0 or _status(upload_id) == "expired"  # a second run finds nothing new to do
    assert _status(upload_id) == "expired"
    assert get_storage().list_keys(f"uploads/{upload_id}/") == []


def _status(upload_id: uuid.UUID) -> str:
    with session_scope() as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None
        return upload.status.value


def _asset_key(asset_id: str) -> str:
    from service.db.asset import Asset

    with session_scope() as session:
        asset = session.get(Asset, uuid.UUID(asset_id))
        assert asset is not None
        return asset.original_key
