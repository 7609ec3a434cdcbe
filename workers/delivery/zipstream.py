"""Stream a ZIP into S3 with multipart upload: constant memory, no temp file, whatever the package size.

``zipfile`` writes to an unseekable stream with data descriptors (sizes and CRC after each member), so the archive
never has to be revisited. Reading the next chunk from S3, CRC + writing, and uploading finished parts overlap;
parts go up on ``UPLOADERS`` threads (an S3 PUT stream is slower than a GET on the embedded server, see
docs/PERFORMANCE.md). Memory stays around (2 x UPLOADERS + 1) x part size.
"""

from __future__ import annotations

import queue
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from service.core.storage import Storage, UploadedPart

_DONE = object()
UPLOADERS = 3


class MultipartWriter:
    """A write-only file object whose bytes become the parts of one S3 multipart upload."""

    def __init__(self, storage: Storage, key: str, part_size: int, content_type: str = "application/zip") -> None:
        self.storage, self.key, self.part_size = storage, key, part_size
        self.upload_id = storage.create_multipart(key, content_type)
        self.parts: list[UploadedPart] = []
        self.size = 0
        self._buffer = bytearray()
        self._number = 0
        self._queue: queue.Queue[tuple[int, bytes] | object] = queue.Queue(maxsize=UPLOADERS)
        self._error: BaseException | None = None
        self._threads = [threading.Thread(target=self._upload_loop, name=f"upload-{n}-{key}", daemon=True)
                         for n in range(UPLOADERS)]
        for thread in self._threads:
            thread.start()

    def _upload_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is _DONE:
                return
            if self._error is not None:
                continue  # drain after a failure; the writer raises it
            assert isinstance(job, tuple)
            number, data = job
            try:
                self.parts.append(self.storage.upload_part(self.key, self.upload_id, number, bytes(data), len(data)))
            except BaseException as exc:  # handed to the writing thread, which raises it
                self._error = exc

    def _send(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._number += 1
        self._queue.put((self._number, data))

    def write(self, data: bytes) -> int:  # zipfile passes bytes and memoryviews
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self.part_size:
            self._send(bytes(self._buffer[: self.part_size]))
            del self._buffer[: self.part_size]
        return len(data)

    def flush(self) -> None:
        """zipfile flushes after each member; parts are cut by size only."""

    def close(self) -> None:
        """Send the last (possibly small) part and complete the upload."""
        if self._buffer or self._number == 0:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        self._stop_uploaders()
        if self._error is not None:
            raise self._error
        self.storage.complete_multipart(self.key, self.upload_id, self.parts)

    def _stop_uploaders(self, timeout: float | None = None) -> None:
        for _ in self._threads:
            self._queue.put(_DONE)
        for thread in self._threads:
            thread.join(timeout)

    def abort(self) -> None:
        self._error = self._error or RuntimeError("aborted")
        self._stop_uploaders(timeout=60)
        self.storage.abort_multipart(self.key, self.upload_id)


def read_ahead(chunks: Iterable[bytes], depth: int = 8) -> Iterator[bytes]:
    """Iterate ``chunks`` while a thread already fetches the next ``depth`` ones (S3 latency off the CRC path)."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                buffer.put(chunk)
            buffer.put(_DONE)
        except BaseException as exc:
            buffer.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(0.05)


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    chunks: Callable[[], Iterable[bytes]]
    modified: datetime


def write_zip(out: MultipartWriter, members: Iterable[Member], on_member: Callable[[Member, int], None]) -> None:
    """Store every member uncompressed (photos and videos are compressed already) and report progress."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=member.modified.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.file_size = member.size
            written = 0
            with archive.open(info, "w", force_zip64=member.size > 0xFFFFFFFF - 1024) as target:
                for chunk in read_ahead(member.chunks()):
                    target.write(chunk)
                    written += len(chunk)
            on_member(member, written)
