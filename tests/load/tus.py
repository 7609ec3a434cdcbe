"""A tus 1.0 client on httpx (asyncio) that can cut its own connection mid-chunk and resume.

Stock clients (tuspy) cannot drop a connection halfway through a PATCH on purpose; the load needs exactly that, and
failover between API replicas, so this client speaks the protocol itself: creation (and creation-with-upload),
HEAD to find the offset, PATCH with per-chunk ``Upload-Checksum: sha256``, ``X-Asset-Id`` on completion.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from tests.load.metrics import CONNECTION_ERROR, Recorder

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADS_PATH = "/api/v1/uploads"
ENDPOINT_POST = f"POST {UPLOADS_PATH}"
ENDPOINT_PATCH = f"PATCH {UPLOADS_PATH}/{{id}}"
ENDPOINT_HEAD = f"HEAD {UPLOADS_PATH}/{{id}}"


class CutConnection(Exception):  # noqa: N818 - it is the event, not an error of ours
    """Raised inside the request body to drop the connection on purpose (a flaky provincial network)."""


class UploadFailed(Exception):
    """The server refused the file for good (4xx other than offset conflicts) or the deadline passed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


@dataclass
class Acknowledged:
    """An upload whose completion the server acknowledged (or that HEAD shows complete after a lost reply)."""

    asset_id: str | None
    sha256: str
    size: int
    filename: str
    kind: str
    location: str
    disconnects: int = 0
    failovers: int = 0


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def retry_after_seconds(response: httpx.Response, default: float = 1.0, cap: float = 10.0) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return min(cap, max(0.1, float(value)))
    except ValueError:
        return default


@dataclass
class TusUploader:
    """Uploads files through any of ``bases`` (API replicas), recording every request in ``recorder``."""

    bases: list[str]
    token: str
    recorder: Recorder
    rng: random.Random
    disconnect_probability: float = 0.2
    chunk_sizes: tuple[int, ...] = (32 * 1024, 96 * 1024, 1024 * 1024)
    creation_with_upload: bool = True
    deadline_seconds: float = 900.0  # a slow link: a 360 kB clip at 1 KiB/s takes six minutes
    rate_bytes_per_second: float = 0.0  # 0: as fast as loopback allows; else a slow provincial link
    _base_index: int = field(default=0, init=False)

    @property
    def base(self) -> str:
        return self.bases[self._base_index % len(self.bases)]

    def failover(self) -> None:
        self._base_index += 1

    def headers(self, **extra: str) -> dict[str, str]:
        return {**TUS, "Authorization": f"Bearer {self.token}", **extra}

    async def _send(self, client: httpx.AsyncClient, method: str, path: str, endpoint: str,
                    **kwargs: object) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await client.request(method, self.base + path, **kwargs)  # type: ignore[arg-type]
        except CutConnection:
            return None  # our own planned cut: counted per upload, not as a server failure
        except httpx.TransportError as exc:
            if isinstance(exc.__cause__ or exc.__context__, CutConnection):
                return None
            self.recorder.record(endpoint, CONNECTION_ERROR, (time.perf_counter() - start) * 1000)
            return None
        self.recorder.record(endpoint, response.status_code, (time.perf_counter() - start) * 1000,
                             "retry-after" in response.headers)
        return response

    async def upload(self, client: httpx.AsyncClient, data: bytes, *, filename: str, kind: str,
                     submission_id: str) -> Acknowledged:
        """Upload ``data`` to the end, surviving cuts, 503s and dead replicas; raise UploadFailed on a refusal."""
        digest = hashlib.sha256(data).hexdigest()
        ack = Acknowledged(None, digest, len(data), filename, kind, "")
        cut_planned = self.rng.random() < self.disconnect_probability
        deadline = time.monotonic() + self.deadline_seconds
        metadata = encode_metadata({"submission_id": submission_id, "filename": filename, "sha256": digest})
        offset = 0
        while time.monotonic() < deadline:
            if not ack.location:
                first = b""
                if self.creation_with_upload and self.rng.random() < 0.3:
                    first = data[: self.rng.choice(self.chunk_sizes)]
                headers = self.headers(**{"Upload-Length": str(len(data)), "Upload-Metadata": metadata})
                if first:
                    headers |= {"Content-Type": "application/offset+octet-stream",
                                "Content-Length": str(len(first)), "Upload-Checksum": _checksum(first)}
                response = await self._send(client, "POST", UPLOADS_PATH, ENDPOINT_POST, headers=headers,
                                            content=_body(first, None, self.rate_bytes_per_second) if first
                                            else None)
                if response is None:
                    ack.failovers += 1
                    self.failover()
                    await asyncio.sleep(0.5)
                    continue
                if response.status_code in (429, 503) or response.status_code >= 500:
                    await asyncio.sleep(retry_after_seconds(response))
                    continue
                if response.status_code != 201:
                    raise UploadFailed(response.status_code, response.text[:300])
                ack.location = urlsplit(response.headers["location"]).path
                offset = int(response.headers.get("upload-offset", "0"))
                if asset_id := response.headers.get("x-asset-id"):
                    ack.asset_id = asset_id
                    return ack
                continue
            if offset < len(data):
                size = self.rng.choice(self.chunk_sizes)
                chunk = data[offset: offset + size]
                cut_at = None
                if cut_planned and len(chunk) > 1:
                    cut_at, cut_planned = self.rng.randrange(1, len(chunk)), False
                headers = self.headers(**{"Upload-Offset": str(offset),
                                          "Content-Type": "application/offset+octet-stream",
                                          "Content-Length": str(len(chunk)),
                                          "Upload-Checksum": _checksum(chunk)})
                response = await self._send(client, "PATCH", ack.location, ENDPOINT_PATCH, headers=headers,
                                            content=_body(chunk, cut_at, self.rate_bytes_per_second))
                if cut_at is not None:
                    ack.disconnects += 1
                if response is not None and response.status_code == 204:
                    offset = int(response.headers.get("upload-offset", offset + len(chunk)))
                    if asset_id := response.headers.get("x-asset-id"):
                        ack.asset_id = asset_id
                        return ack
                    continue
                if response is not None and response.status_code in (404, 410):
                    ack.location, offset = "", 0  # the server forgot the upload (expired): start again
                    continue
                if response is not None and 400 <= response.status_code < 500 and response.status_code not in (
                        409, 429, 460):
                    raise UploadFailed(response.status_code, response.text[:300])
                if response is None and cut_at is None:
                    ack.failovers += 1
                    self.failover()
                if response is not None and response.status_code in (429, 503):
                    await asyncio.sleep(retry_after_seconds(response))
            # After a cut, a conflict, an error or a complete offset without an id: ask the server where we are.
            found = await self._head(client, ack)
            if found is None:
                await asyncio.sleep(0.5)
                continue
            offset = found
            if ack.asset_id:
                return ack
            if offset >= len(data):
                # Complete on the server but the reply that carried the id was lost; the audit finds it by sha256.
                return ack
        raise UploadFailed(0, f"deadline of {self.deadline_seconds:.0f}s passed at offset {offset}")

    async def _head(self, client: httpx.AsyncClient, ack: Acknowledged) -> int | None:
        response = await self._send(client, "HEAD", ack.location, ENDPOINT_HEAD, headers=self.headers())
        if response is None:
            ack.failovers += 1
            self.failover()
            return None
        if response.status_code in (404, 410):
            ack.location = ""
            return 0
        if response.status_code in (429, 503) or response.status_code >= 500:
            await asyncio.sleep(retry_after_seconds(response))
            return None
        if response.status_code >= 400:
            raise UploadFailed(response.status_code, response.text[:300])
        if asset_id := response.headers.get("x-asset-id"):
            ack.asset_id = asset_id
        return int(response.headers.get("upload-offset", "0"))


def _checksum(chunk: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()


async def _body(chunk: bytes, cut_at: int | None, rate: float = 0.0) -> AsyncIterator[bytes]:
    """The chunk as a stream, paced to ``rate`` bytes/s when set; with ``cut_at`` the stream breaks there and httpx
    drops the connection."""
    end = len(chunk) if cut_at is None else cut_at
    piece = 16 * 1024 if rate else max(end, 1)
    for start in range(0, end, piece):
        yield chunk[start: min(start + piece, end)]
        if rate:
            await asyncio.sleep(min(piece, end - start) / rate)
    if cut_at is not None:
        await asyncio.sleep(0.05)
        raise CutConnection(f"cut after {cut_at} bytes")


def upload_simple(base: str, token: str, data: bytes, *, filename: str, submission_id: str,
                  timeout: float = 60) -> httpx.Response:
    """Create and send a whole file in one PATCH (tests): the response that completed it, or the first refusal."""
    digest = hashlib.sha256(data).hexdigest()
    headers = {**TUS, "Authorization": f"Bearer {token}"}
    metadata = encode_metadata({"submission_id": submission_id, "filename": filename, "sha256": digest})
    with httpx.Client(base_url=base, timeout=timeout) as client:
        created = client.post(UPLOADS_PATH, headers=headers | {"Upload-Length": str(len(data)),
                                                               "Upload-Metadata": metadata})
        if created.status_code != 201 or not data or created.headers.get("x-asset-id"):
            return created
        location = urlsplit(created.headers["location"]).path
        return client.patch(location, content=data, headers=headers | {
            "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
            "Upload-Checksum": _checksum(data)})


def tus_available(base: str, token: str) -> bool:
    response = httpx.request("OPTIONS", base + UPLOADS_PATH, headers={**TUS, "Authorization": f"Bearer {token}"},
                             timeout=30)
    return "tus-version" in response.headers or "tus-resumable" in response.headers
