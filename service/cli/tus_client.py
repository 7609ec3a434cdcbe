"""A small tus 1.0 client over httpx for ``mediadesk upload``, and the state file that makes it resumable.

Files are streamed from disk in ``chunk_size`` PATCHes; after a failure the client asks the server for its offset
(HEAD) and continues from there, so a dropped connection costs at most the bytes in flight.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TUS = {"Tus-Resumable": "1.0.0"}
MIB = 1024 * 1024


class UploadRefused(Exception):  # noqa: N818 - the server's verdict, shown as is
    """The server refused the file for good (type, size, quota, window…): retrying will not help."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


class Interrupted(Exception):  # noqa: N818 - Ctrl-C, not an error of the upload
    """The user stopped the run; the upload resumes next time."""


def file_sha256(path: Path, block: int = 4 * MIB) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(block):
            digest.update(chunk)
    return digest.hexdigest()


class StateFile:
    """``{path|size|mtime: {url, sha256, asset_id}}`` on disk, written atomically after every change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._data: dict[str, dict[str, Any]] = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self._data = {}

    @staticmethod
    def key(file: Path) -> str:
        stat = file.stat()
        return f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"

    def get(self, file: Path) -> dict[str, Any]:
        with self._lock:
            return dict(self._data.get(self.key(file), {}))

    def update(self, file: Path, **values: Any) -> None:
        self.put(self.key(file), values)

    def get_key(self, key: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._data.get(key, {}))

    def put(self, key: str, values: dict[str, Any]) -> None:
        with self._lock:
            self._data.setdefault(key, {}).update(values)
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.write_text(json.dumps(self._data, ensure_ascii=False, indent=1))
            tmp.replace(self.path)


@dataclass
class TusClient:
    server: str
    token: str
    chunk_size: int = 64 * MIB
    retries: int = 8
    timeout: float = 120.0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.rstrip("/"), timeout=self.timeout,
                                 headers={"Authorization": f"Bearer {self.token}", **TUS})

    def close(self) -> None:
        self.http.close()

    def lookup(self, hashes: list[str], submission_id: str | None) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(hashes), 1000):
            body: dict[str, Any] = {"sha256": hashes[start:start + 1000]}
            if submission_id:
                body["submission_id"] = submission_id
            response = self._call("POST", "/api/v1/uploads/lookup", json=body)
            found.update(response.json()["found"])
        return found

    def create_submission(self, fields: dict[str, Any]) -> str:
        return str(self._call("POST", "/api/v1/submissions", json=fields).json()["id"])

    def create(self, file: Path, submission_id: str, sha256: str) -> str:
        meta = {"submission_id": submission_id, "filename": file.name, "sha256": sha256}
        header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        response = self._call("POST", "/api/v1/uploads", headers={
            "Upload-Length": str(file.stat().st_size), "Upload-Metadata": header})
        return str(response.headers["location"])

    def offset(self, url: str) -> tuple[int, str | None]:
        """The server's offset for ``url`` and the asset id when complete; raises UploadRefused when gone."""
        response = self._call("HEAD", url)
        return int(response.headers["upload-offset"]), response.headers.get("x-asset-id")

    def send(self, file: Path, url: str, on_progress: Callable[[int], None],
             stop: threading.Event | None = None) -> str:
        """PATCH the file from the server's offset to the end; returns the asset id. ``stop`` aborts between
        megabytes (Ctrl-C): the server keeps what it received and the next run resumes from there."""
        stop = stop or threading.Event()
        size = file.stat().st_size
        offset, asset_id = self.offset(url)
        failures = 0
        while asset_id is None:
            if stop.is_set():
                raise Interrupted
            on_progress(offset)
            end = min(size, offset + self.chunk_size)
            try:
                response = self.http.patch(url, content=_read(file, offset, end, on_progress, stop), headers={
                    "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            except httpx.TransportError:
                if stop.is_set():
                    raise Interrupted from None
                response = None
            if response is not None and response.status_code == 204:
                offset, asset_id, failures = int(response.headers["upload-offset"]), response.headers.get(
                    "x-asset-id"), 0
                continue
            if response is not None and response.status_code not in (409, 429, 460) and response.status_code < 500:
                raise _refused(response)
            failures += 1
            if failures > self.retries:
                if response is not None:
                    raise _refused(response)
                raise ConnectionError(f"{self.server} is unreachable")
            time.sleep(min(60.0, 2.0 ** failures) * random.uniform(0.5, 1.0))
            offset, asset_id = self.offset(url)
        on_progress(size)
        return asset_id

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                time.sleep(min(30.0, 2.0 ** attempt))
                continue
            if response.status_code in (429, 502, 503, 504) and attempt < self.retries:
                time.sleep(float(response.headers.get("retry-after", 2.0 ** attempt)))
                continue
            if response.status_code >= 400:
                raise _refused(response)
            return response
        raise AssertionError("unreachable")


def _read(file: Path, start: int, end: int, on_progress: Callable[[int], None],
          stop: threading.Event) -> Iterator[bytes]:
    with file.open("rb") as source:
        source.seek(start)
        position = start
        while position < end:
            if stop.is_set():
                raise Interrupted
            chunk = source.read(min(MIB, end - position))
            if not chunk:
                return
            position += len(chunk)
            on_progress(position)
            yield chunk


def _refused(response: httpx.Response) -> UploadRefused:
    try:
        body = response.json()
        code, detail = str(body.get("code", "error")), str(body.get("detail", ""))
    except ValueError:
        code, detail = f"http_{response.status_code}", response.reason_phrase
    return UploadRefused(response.status_code, code, detail)
