"""Stream a ZIP into S3 as one multipart upload, copying the bodies of large members inside the S3 server.

A package is mostly renditions that already sit in the same bucket, so their bytes need not cross the worker:
UploadPartCopy makes a part from a byte range of another object. The ZIP is therefore laid out by hand (stored
members, UTF-8 names, ZIP64 where sizes or offsets need it) with each member's CRC-32 known up front (kept when its
tagged copy was made), so no data descriptor has to follow the bytes, and a large member's body can start a part::

    part n     uploaded  … local header of member k + its first bytes, read to reach the 5 MiB part minimum
    part n+1…  copied    the rest of member k, server-side, in ranges of up to COPY_PART
    part m     uploaded  local header of member k+1, small members, sidecars, …, central directory (last part)

A member is copied whenever what is left of it after that head is itself a valid part (≥ 5 MiB), so a 12 MiB video
always is, and an 8 MiB photo is when the buffer already holds 5 MiB of its predecessors. Smaller members and the
rest go through the buffer (read from S3 with read-ahead, uploaded in parts of ``part_size``). Uploads and
copies run on ``UPLOADERS`` threads; memory stays around (2 × UPLOADERS + 1) × part size whatever the package size.
"""

from __future__ import annotations

import queue
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from service.core.storage import Storage, UploadedPart

_DONE = object()
UPLOADERS = 4
MIB = 1024 * 1024
#: S3's smallest part (every part but the last).
PART_MIN = 5 * MIB
#: One server-side copy request; S3 allows up to 5 GiB, smaller ranges let the threads copy a big video in parallel.
COPY_PART = 128 * MIB
_ZIP32_MAX = 0xFFFFFFFF
_UTF8 = 0x0800
_VERSION_MADE_BY = (3 << 8) | 45  # Unix, ZIP 4.5
_REGULAR_FILE = 0o100644 << 16


class ChangedWhileBuilding(RuntimeError):
    """A member's object no longer has the size recorded with its CRC (its tagged copy was remade meanwhile)."""


class PackageWriter:
    """The bytes of one S3 multipart upload, written in order: appended through a buffer, or copied by the server."""

    def __init__(self, storage: Storage, key: str, part_size: int, content_type: str = "application/zip") -> None:
        self.storage, self.key, self.part_size = storage, key, max(part_size, PART_MIN)
        self.upload_id = storage.create_multipart(key, content_type)
        self.parts: list[UploadedPart] = []
        self.size = 0  # archive bytes so far: the offset of whatever is written next
        self.copied = 0  # of which copied inside the S3 server
        self._buffer = bytearray()
        self._number = 0
        self._queue: queue.Queue[tuple[object, ...] | object] = queue.Queue(maxsize=UPLOADERS)
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._part_loop, name=f"part-{n}-{key}", daemon=True)
                         for n in range(UPLOADERS)]
        for thread in self._threads:
            thread.start()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def _part_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is _DONE:
                return
            if self._error is not None:
                continue  # drain after a failure; the writing thread raises it
            assert isinstance(job, tuple)
            try:
                if job[0] == "put":
                    _, number, data = job
                    part = self.storage.upload_part(self.key, self.upload_id, number, data, len(data))
                else:
                    _, number, source, start, end = job
                    part = self.storage.copy_part(self.key, self.upload_id, number, source, start, end)
                with self._lock:
                    self.parts.append(part)
            except BaseException as exc:  # handed to the writing thread, which raises it
                self._error = exc

    def _send(self, *job: object) -> None:
        if self._error is not None:
            raise self._error
        self._number += 1
        self._queue.put((job[0], self._number, *job[1:]))

    def write(self, data: bytes | memoryview) -> None:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self.part_size:
            self._send("put", bytes(self._buffer[: self.part_size]))
            del self._buffer[: self.part_size]

    def copy(self, source: str, start: int, end: int) -> None:
        """Append bytes ``[start, end)`` of object ``source`` without reading them (``end - start >= PART_MIN``).

        What is buffered goes up first as its own part, so it must hold at least ``PART_MIN`` bytes.
        """
        if 0 < len(self._buffer) < PART_MIN or end - start < PART_MIN:
            raise ValueError("every part but the last must hold at least 5 MiB")
        if self._buffer:
            self._send("put", bytes(self._buffer))
            self._buffer.clear()
        count = -(-(end - start) // COPY_PART)  # equal ranges: none of them below the minimum
        step = -(-(end - start) // count)
        for offset in range(start, end, step):
            self._send("copy", source, offset, min(end, offset + step))
        self.size += end - start
        self.copied += end - start

    def close(self) -> None:
        """Send the last (possibly small) part and complete the upload."""
        if self._buffer or self._number == 0:
            self._send("put", bytes(self._buffer))
            self._buffer.clear()
        self._stop_threads()
        if self._error is not None:
            raise self._error
        self.storage.complete_multipart(self.key, self.upload_id, self.parts)

    def _stop_threads(self, timeout: float | None = None) -> None:
        for _ in self._threads:
            self._queue.put(_DONE)
        for thread in self._threads:
            thread.join(timeout)

    def abort(self) -> None:
        self._error = self._error or RuntimeError("aborted")
        self._stop_threads(timeout=60)
        self.storage.abort_multipart(self.key, self.upload_id)


def read_ahead(chunks: Iterable[bytes], depth: int = 8) -> Iterator[bytes]:
    """Iterate ``chunks`` while a thread already fetches the next ``depth`` ones (S3 latency off the write path)."""
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
    """One file of the archive: the whole object at ``key`` (``size`` bytes, CRC-32 ``crc``), or ``data`` itself."""

    name: str
    size: int
    crc: int
    modified: datetime
    key: str | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class _Entry:
    member: Member
    offset: int


def _dos_time(moment: datetime) -> tuple[int, int]:
    year = min(max(moment.year, 1980), 2107)
    return ((moment.hour << 11) | (moment.minute << 5) | (moment.second // 2),
            ((year - 1980) << 9) | (moment.month << 5) | moment.day)


def local_header(member: Member, *, force_zip64: bool = False) -> bytes:
    name = member.name.encode()
    zip64 = force_zip64 or member.size >= _ZIP32_MAX
    extra = struct.pack("<HHQQ", 0x0001, 16, member.size, member.size) if zip64 else b""
    size32 = _ZIP32_MAX if zip64 else member.size
    time, date = _dos_time(member.modified)
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, _UTF8, 0, time, date, member.crc,
                       size32, size32, len(name), len(extra)) + name + extra


def _central_header(entry: _Entry, *, force_zip64: bool) -> bytes:
    member, name = entry.member, entry.member.name.encode()
    big_size = force_zip64 or member.size >= _ZIP32_MAX
    big_offset = force_zip64 or entry.offset >= _ZIP32_MAX
    fields = ([member.size, member.size] if big_size else []) + ([entry.offset] if big_offset else [])
    extra = struct.pack(f"<HH{len(fields)}Q", 0x0001, 8 * len(fields), *fields) if fields else b""
    time, date = _dos_time(member.modified)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION_MADE_BY, 45 if fields else 20, _UTF8, 0, time,
                       date, member.crc, _ZIP32_MAX if big_size else member.size,
                       _ZIP32_MAX if big_size else member.size, len(name), len(extra), 0, 0, 0, _REGULAR_FILE,
                       _ZIP32_MAX if big_offset else entry.offset) + name + extra


def central_directory(entries: list[_Entry], start: int, *, force_zip64: bool = False) -> bytes:
    """Central directory at offset ``start`` and the end records (ZIP64 ones when anything overflows ZIP32)."""
    body = b"".join(_central_header(entry, force_zip64=force_zip64) for entry in entries)
    count, size = len(entries), len(body)
    tail = b""
    if force_zip64 or count >= 0xFFFF or start >= _ZIP32_MAX or size >= _ZIP32_MAX:
        record_at = start + size
        tail = (struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, _VERSION_MADE_BY, 45, 0, 0, count, count, size, start)
                + struct.pack("<IIQI", 0x07064B50, 0, record_at, 1))
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                      min(size, _ZIP32_MAX), min(start, _ZIP32_MAX), 0)
    return body + tail + end


def write_zip(out: PackageWriter, members: Iterable[Member], on_member: Callable[[Member, int], None], *,
              force_zip64: bool = False) -> None:
    """Append every member (stored: photos and videos are compressed already), then the central directory.

    ``force_zip64`` writes ZIP64 records even for small archives (tests read them back to check the layout).
    """
    entries: list[_Entry] = []
    for member in members:
        entries.append(_Entry(member, out.size))
        out.write(local_header(member, force_zip64=force_zip64))
        if member.data is not None:
            out.write(member.data)
        elif member.key is not None:
            _write_object(out, member)
        on_member(member, member.size)
    out.write(central_directory(entries, out.size, force_zip64=force_zip64))


def _write_object(out: PackageWriter, member: Member) -> None:
    assert member.key is not None
    head = max(0, PART_MIN - out.buffered)  # what must be read to make the buffer a valid part before the copy
    if member.size - head >= PART_MIN:  # what is left after the head can be a part of its own
        stored = out.storage.stat_size(member.key)
        if stored != member.size:
            raise ChangedWhileBuilding(f"{member.key} is {stored} bytes, not the {member.size} recorded with its CRC")
        if head:
            out.write(out.storage.open_range(member.key, 0, head))
        out.copy(member.key, head, member.size)
        return
    written = 0
    for chunk in read_ahead(out.storage.iter_object(member.key)):
        out.write(chunk)
        written += len(chunk)
    if written != member.size:
        raise ChangedWhileBuilding(f"{member.key} gave {written} bytes, not the {member.size} recorded with its CRC")
