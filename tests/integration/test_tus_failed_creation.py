"""A creation-with-upload that fails leaves nothing that holds quota (issue 14, finding 9): no ``active`` upload row,
no S3 multipart upload, and the organisation can at once upload a file of the same size into its last bytes of quota.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from minio.error import S3Error
from sqlalchemy import select

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.org import Role
from service.db.upload import Upload, UploadStatus
from tests.support import (
    Actor,
    LiveAPI,
    make_actor,
    make_campaign,
    make_submission,
    media_bytes,
    set_campaign,
    tus_metadata,
    wait_until,
)

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}
SIZE = 12_000


def checksum(data: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(data).digest()).decode()


def uploads_of(submission: uuid.UUID) -> list[Upload]:
    with session_scope() as session:
        rows = list(session.scalars(select(Upload).where(Upload.submission_id == submission)))
        session.expunge_all()
        return rows


def multipart_exists(upload: Upload) -> bool:
    storage = get_storage()
    try:
        storage.client._list_parts(storage.bucket, upload.s3_key, upload.s3_upload_id)
    except S3Error as exc:
        if exc.code == "NoSuchUpload":
            return False
        raise
    return True


@pytest.fixture
def tight(http: httpx.Client) -> tuple[Actor, uuid.UUID]:
    """A submitter whose organisation has exactly one file of ``SIZE`` bytes of quota left."""
    alice = make_actor(Role.submitter)
    campaign = make_campaign()
    set_campaign(campaign, org_quota_bytes=SIZE)
    return alice, make_submission(alice, campaign)


def create(http: httpx.Client, actor: Actor, submission: uuid.UUID, length: int, body: bytes,
           **headers: str) -> httpx.Response:
    return http.post("/api/v1/uploads", content=body, headers={
        **actor.headers, **TUS, **OCTETS, "Upload-Length": str(length), **headers,
        "Upload-Metadata": tus_metadata(submission_id=str(submission), filename="配额.jpg")})


def assert_nothing_held(http: httpx.Client, actor: Actor, submission: uuid.UUID) -> None:
    rows = uploads_of(submission)
    assert rows, "the failed creation did not even reach the database (the test proves nothing)"
    assert [r.status for r in rows if r.status == UploadStatus.active] == []
    assert [r.id for r in rows if multipart_exists(r)] == [], "an S3 multipart upload was left behind"
    again = media_bytes(SIZE, seed=3)
    created = create(http, actor, submission, SIZE, again, **{"Upload-Checksum": checksum(again)})
    assert created.status_code == 201, f"the quota is still held: {created.status_code} {created.text}"
    assert "x-asset-id" in created.headers


@pytest.mark.parametrize("failure", ["checksum-460", "longer-than-declared-413", "not-media-415"])
def test_failed_creation_with_upload_holds_no_quota(http: httpx.Client, tight: tuple[Actor, uuid.UUID],
                                                    failure: str) -> None:
    alice, submission = tight
    data = media_bytes(SIZE, seed=2)
    if failure == "checksum-460":
        response = create(http, alice, submission, SIZE, data, **{"Upload-Checksum": checksum(b"other bytes")})
        expected = (460, "checksum_mismatch")
    elif failure == "longer-than-declared-413":
        response = create(http, alice, submission, SIZE - 5000, data)
        expected = (413, "exceeds_upload_length")
    else:
        response = create(http, alice, submission, SIZE, b"%PDF-1.7\n" + bytes(SIZE - 9))
        expected = (415, response.json().get("code"))
    assert (response.status_code, response.json()["code"]) == expected, response.text
    assert "location" not in response.headers
    assert_nothing_held(http, alice, submission)


def test_creation_cut_off_mid_body_holds_no_quota(live_api: LiveAPI, http: httpx.Client,
                                                  tight: tuple[Actor, uuid.UUID]) -> None:
    """The client's connection drops during creation-with-upload: it never saw the Location, so nobody can resume
    the upload; the server forgets it instead of holding the quota for the 48-hour expiry."""
    alice, submission = tight
    data = media_bytes(SIZE, seed=4)
    url = urlsplit(live_api.url)
    head = (f"POST /api/v1/uploads HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {alice.token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Length: {SIZE}\r\nContent-Length: {SIZE}\r\n"
            f"Content-Type: application/offset+octet-stream\r\n"
            f"Upload-Metadata: {tus_metadata(submission_id=str(submission), filename='断线.jpg')}\r\n\r\n")
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=10) as sock:
        sock.sendall(head.encode() + data[: SIZE // 2])
        wait_until(lambda: uploads_of(submission), 20, 0.2, "the upload row of the cut creation")
    wait_until(lambda: all(r.status != UploadStatus.active for r in uploads_of(submission)), 30, 0.3,
               "the cut creation to be forgotten")
    assert_nothing_held(http, alice, submission)
