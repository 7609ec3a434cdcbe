"""The "done when" of resumable uploads: a 200 MiB file survives a client interruption and an API killed with
SIGKILL mid-upload; the stored original's sha256 equals the source's both times."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus_client

from service.core.storage import get_storage
from service.db.org import Role
from tests.support import Actor, LiveAPI, make_actor, make_campaign, make_submission, wait_until, write_media

MIB = 1024 * 1024
BIG = 200 * MIB + 12345  # not a multiple of the part size: the last part is short
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    path = tmp_path_factory.mktemp("big") / "运动会 全程.mp4"
    sha = write_media(path, BIG, "mp4", seed=7)
    yield path, sha
    path.unlink()


def stored_sha256(http: httpx.Client, actor: Actor, asset_id: str) -> str:
    asset = http.get(f"/api/v1/assets/{asset_id}", headers=actor.headers).json()
    import uuid

    from service.core.db import session_scope
    from service.db.asset import Asset

    with session_scope() as session:
        row = session.get(Asset, uuid.UUID(asset_id))
        assert row is not None
        key = row.original_key
    assert asset["size"] == BIG
    digest = hashlib.sha256()
    for chunk in get_storage().iter_object(key, 8 * MIB):
        digest.update(chunk)
    return digest.hexdigest()


def file_chunks(path: Path, start: int, stop: int, block: int = MIB) -> Iterator[bytes]:
    with path.open("rb") as source:
        source.seek(start)
        left = stop - start
        while left > 0:
            chunk = source.read(min(block, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


@pytest.mark.slow
def test_big_upload_interrupted_by_the_client_resumes(live_api: LiveAPI, http: httpx.Client,
                                                      big_file: tuple[Path, str]) -> None:
    path, sha = big_file
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    tus = tus_client.TusClient(f"{live_api.url}/api/v1/uploads", headers=alice.headers)
    meta = {"submission_id": str(submission), "filename": path.name, "sha256": sha}
    first = tus.uploader(str(path), chunk_size=32 * MIB, metadata=meta)
    first.upload(stop_at=64 * MIB)  # the client stops here (process exit)
    assert first.url

    # Then a PATCH whose connection drops after ~50 MiB: the server keeps what it received.
    class Dropped(Exception):
        pass

    def dying_body() -> Iterator[bytes]:
        sent = 0
        for chunk in file_chunks(path, 64 * MIB, BIG):
            yield chunk
            sent += len(chunk)
            if sent >= 50 * MIB:
                raise Dropped

    with pytest.raises((Dropped, httpx.HTTPError)):
        httpx.patch(first.url, content=dying_body(), timeout=120, headers={
            **alice.headers, **TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(64 * MIB)})
    # The server notices the drop a moment later and then stores the last bytes as a tail: wait for a still offset.
    offsets: list[int] = []

    def settled() -> bool:
        offsets.append(int(http.head(first.url, headers={**alice.headers, **TUS}).headers["upload-offset"]))
        return len(offsets) >= 3 and offsets[-1] == offsets[-2] == offsets[-3] > 64 * MIB

    wait_until(settled, 120, 1.0, "bytes of the dropped PATCH to be kept")

    # retries: a stock client re-asks the offset (HEAD) when a PATCH is refused, as tus-js-client does.
    resumed = tus.uploader(str(path), chunk_size=64 * MIB, metadata=meta, url=first.url, retries=3, retry_delay=1)
    assert resumed.offset > 64 * MIB  # tuspy asked the server (HEAD) where to continue
    resumed.upload()
    asset_id = resumed.request.response_headers["x-asset-id"]
    assert stored_sha256(http, alice, asset_id) == sha


@pytest.mark.slow
def test_api_killed_mid_upload_resumes_on_a_fresh_api(child_env: dict[str, str], logs_dir: Path,
                                                      http: httpx.Client, big_file: tuple[Path, str]) -> None:
    path, sha = big_file
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    meta = {"submission_id": str(submission), "filename": path.name, "sha256": sha}
    doomed = LiveAPI(child_env, logs_dir).start()
    try:
        creator = tus_client.TusClient(f"{doomed.url}/api/v1/uploads", headers=alice.headers)
        upload_url = creator.uploader(str(path), chunk_size=BIG, metadata=meta).create_url()
        failure: list[BaseException] = []

        def send_all() -> None:
            try:
                httpx.patch(upload_url, content=file_chunks(path, 0, BIG), timeout=300, headers={
                    **alice.headers, **TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"})
            except BaseException as exc:  # the API dies under it: expected
                failure.append(exc)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        path_only = upload_url.split("/api/v1", 1)[1]
        wait_until(lambda: int(http.head(f"/api/v1{path_only}", headers={**alice.headers, **TUS})
                               .headers["upload-offset"]) >= 24 * MIB, 180, message="three parts committed")
        doomed.kill()
        sender.join(60)
        assert failure, "the PATCH should have failed when its API process was killed"
    finally:
        doomed.stop()

    fresh = LiveAPI(child_env, logs_dir).start()
    try:
        resume_url = f"{fresh.url}/api/v1{path_only}"
        tus = tus_client.TusClient(f"{fresh.url}/api/v1/uploads", headers=alice.headers)
        resumed = tus.uploader(str(path), chunk_size=64 * MIB, metadata=meta, url=resume_url)
        assert 24 * MIB <= resumed.offset < BIG
        resumed.upload()
        asset_id = resumed.request.response_headers["x-asset-id"]
    finally:
        fresh.stop()
    assert stored_sha256(http, alice, asset_id) == sha
