"""Two PATCHes at one offset (issue 14, finding 7): whatever the interleaving, exactly one is acknowledged and the
stored original is byte for byte the acknowledged bytes (sha256), never a mix with the loser's.

Real uvicorn process, real S3: the loser used to write the same tail object as the winner after the winner's
commit, so its 409 still left its bytes in the file.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.org import Role
from service.db.upload import Upload
from service.ingest.uploads import tail_prefix
from tests.support import Actor, LiveAPI, make_actor, make_campaign, make_submission, media_bytes, tus_metadata

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}
LENGTH = 20_000
#: What the commit-time 409 says (the request passed the offset check and lost while streaming).
LOST_WHILE_STREAMING = "another request wrote to this upload meanwhile"


class Patch(threading.Thread):
    """A PATCH in a thread; ``hold`` pauses its body after the first chunk until ``release`` is set."""

    def __init__(self, url: str, actor: Actor, location: str, offset: int, body: bytes, hold: bool = False,
                 start_together: threading.Barrier | None = None) -> None:
        super().__init__(daemon=True)
        self.url, self.actor, self.location, self.offset, self.body = url, actor, location, offset, body
        self.hold, self.start_together = hold, start_together
        self.release = threading.Event()
        self.response: httpx.Response | None = None

    def chunks(self) -> Iterator[bytes]:
        half = len(self.body) // 2
        yield self.body[:half]
        if self.hold:
            self.release.wait(30)
        yield self.body[half:]

    def run(self) -> None:
        headers = {**self.actor.headers, **TUS, **OCTETS, "Upload-Offset": str(self.offset)}
        if self.start_together is not None:
            self.start_together.wait(10)
        with httpx.Client(base_url=self.url, timeout=60) as client:
            self.response = client.patch(self.location, headers=headers, content=self.chunks())


def create(http: httpx.Client, actor: Actor) -> str:
    submission = make_submission(actor, make_campaign())
    created = http.post("/api/v1/uploads", headers={
        **actor.headers, **TUS, "Upload-Length": str(LENGTH),
        "Upload-Metadata": tus_metadata(submission_id=str(submission), filename="赛跑.jpg")})
    assert created.status_code == 201, created.text
    return str(created.headers["location"])


def send(http: httpx.Client, actor: Actor, location: str, offset: int, data: bytes) -> httpx.Response:
    return http.patch(location, content=data, headers={**actor.headers, **TUS, **OCTETS,
                                                       "Upload-Offset": str(offset)})


def stored(location: str) -> tuple[str, list[str]]:
    """(sha256 of the finished original, tail objects left) for the upload at ``location``."""
    upload_id = uuid.UUID(location.rsplit("/", 1)[1])
    with session_scope() as session:
        upload = session.get(Upload, upload_id)
        assert upload is not None
        key = upload.s3_key
    data = get_storage().get_bytes(key)
    return hashlib.sha256(data).hexdigest(), get_storage().list_keys(tail_prefix(upload_id))


def tails(location: str) -> list[str]:
    return get_storage().list_keys(tail_prefix(uuid.UUID(location.rsplit("/", 1)[1])))


def settle(http: httpx.Client, actor: Actor, location: str, racers: dict[str, Patch],
           files: dict[str, bytes]) -> str:
    """Exactly one racer acknowledged; finish the upload with the winner's file and return the winner's name."""
    statuses = {name: racer.response.status_code if racer.response is not None else None
                for name, racer in racers.items()}
    winners = [name for name, status in statuses.items() if status == 204]
    assert len(winners) == 1, f"expected exactly one acknowledged PATCH, got {statuses}"
    assert sorted(statuses.values(), key=str) == [204, 409], statuses
    winner = winners[0]
    response = racers[winner].response
    assert response is not None
    offset = int(response.headers["upload-offset"])
    if offset < LENGTH:
        assert len(tails(location)) == 1, f"the loser left its tail behind: {tails(location)}"
        finished = send(http, actor, location, offset, files[winner][offset:])
        assert finished.status_code == 204, finished.text
        assert "x-asset-id" in finished.headers
    sha, left = stored(location)
    assert sha == hashlib.sha256(files[winner]).hexdigest(), (
        f"the stored original is not the acknowledged bytes of {winner} (statuses {statuses})")
    assert left == []
    return winner


@pytest.mark.parametrize(("start", "body_end"), [(0, 9_000), (0, LENGTH), (3_000, 11_000), (3_000, LENGTH)],
                         ids=["tail-at-0", "completes-from-0", "tail-after-tail", "completes-after-tail"])
def test_the_patch_that_loses_while_streaming_leaves_no_bytes(
        live_api: LiveAPI, http: httpx.Client, start: int, body_end: int) -> None:
    """A starts and stalls mid-body; B, at the same offset, is acknowledged; then A's body ends: 409, and the file
    is B's bytes."""
    alice = make_actor(Role.submitter)
    first = media_bytes(LENGTH, seed=11)
    files = {"A": first, "B": first[:3_000] + random.Random(12).randbytes(LENGTH - 3_000)}
    location = create(http, alice)
    if start:
        assert send(http, alice, location, 0, files["B"][:start]).status_code == 204  # leaves a tail to carry
    slow = Patch(live_api.url, alice, location, start, files["A"][start:body_end], hold=True)
    slow.start()
    time.sleep(1.5)  # A's handler has read the upload's state and the first half of its body
    quick = send(http, alice, location, start, files["B"][start:body_end])
    assert quick.status_code == 204, quick.text
    slow.release.set()
    slow.join(60)
    assert slow.response is not None
    assert slow.response.status_code == 409, slow.response.text
    assert LOST_WHILE_STREAMING in slow.response.json()["detail"]
    quick_patch = Patch(live_api.url, alice, location, start, b"")
    quick_patch.response = quick
    assert settle(http, alice, location, {"A": slow, "B": quick_patch}, files) == "B"


def test_patches_released_together_store_the_acknowledged_bytes(live_api: LiveAPI, http: httpx.Client) -> None:
    """No choreography: two PATCHes at one offset let go at the same moment, several times."""
    alice = make_actor(Role.submitter)
    winners = []
    for round_ in range(6):
        files = {"A": media_bytes(LENGTH, seed=100 + round_), "B": media_bytes(LENGTH, seed=200 + round_)}
        location = create(http, alice)
        barrier = threading.Barrier(2)
        end = 9_000 if round_ % 2 else LENGTH
        racers = {name: Patch(live_api.url, alice, location, 0, files[name][:end], start_together=barrier)
                  for name in files}
        for racer in racers.values():
            racer.start()
        for racer in racers.values():
            racer.join(60)
        winners.append(settle(http, alice, location, racers, files))
    assert len(winners) == 6
