"""Stream a tus request body into S3 multipart parts without ever holding the whole file.

Bytes accumulate up to ``upload_part_size``; each full part is uploaded while the next ones are read
(``upload_parts_in_flight`` parts at a time, numbered in byte order) and committed to the database, in order, as soon
as it is stored, so an API process killed mid-PATCH loses only the parts it was still sending. Bytes left below a
part at the end of a PATCH go to a tail object that the next PATCH, on any replica, prepends. Each request writes its
tail under a key of its own, so that of two PATCHes racing at one offset the one that loses the commit (409) can
never overwrite the bytes the winner was acknowledged for; the loser deletes its tail. With ``Upload-Checksum``
nothing is committed until the whole chunk matched.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections import deque
from dataclasses import dataclass, field
from functools import partial

from minio.error import S3Error
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from service.core.config import get_settings
from service.core.errors import Problem
from service.core.storage import UploadedPart, get_storage
from service.db.upload import UploadStatus
from service.ingest import uploads
from service.ingest.sniff import SNIFF_BYTES, SNIFF_MIN_BYTES, Sniffed, kind_of_mime, sniff
from service.ingest.uploads import UploadState

#: tus "checksum" extension: the status for a chunk whose checksum does not match.
CHECKSUM_MISMATCH = 460


@dataclass
class AppendResult:
    offset: int
    asset_id: uuid.UUID | None = None
    disconnected: bool = False  # the client went away mid-body (it never sees this response)


@dataclass
class _Writer:
    state: UploadState
    verify: bytes | None
    part_size: int
    in_flight: int
    buffer: bytearray = field(default_factory=bytearray)
    base: int = 0  # file offset of buffer[0]: bytes below it are in parts (committed or in flight)
    committed: int = 0  # the database's offset
    pending_parts: list[UploadedPart] = field(default_factory=list)  # uploaded, not yet committed
    sniffed: Sniffed | None = None
    sending: deque[tuple[asyncio.Future[UploadedPart], int]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.base, self.committed = self.state.parts_bytes, self.state.offset

    @property
    def end(self) -> int:
        return self.base + len(self.buffer)

    async def feed(self, chunk: bytes) -> None:
        if self.end + len(chunk) > self.state.length:
            raise Problem(413, "exceeds_upload_length", "发送的数据超过了声明的文件大小 Upload-Length",
                          "the request sends more bytes than the declared Upload-Length")
        self.buffer += chunk
        if self.sniffed is None and self.base == 0 and len(self.buffer) >= min(SNIFF_BYTES, self.state.length):
            await run_in_threadpool(self._sniff)
        while len(self.buffer) >= self.part_size:
            with memoryview(self.buffer) as view:  # one copy, and the view is released before the buffer shrinks
                data = bytes(view[: self.part_size])
            del self.buffer[: self.part_size]
            self.base += len(data)
            if len(self.sending) >= self.in_flight:
                await self._commit_oldest()
            # Numbers are taken here, in byte order: S3 assembles parts by ascending number.
            number = await run_in_threadpool(uploads.reserve_part_number, self.state.id)
            self.sending.append((asyncio.ensure_future(run_in_threadpool(self._upload, number, data)), self.base))

    async def drain(self) -> None:
        while self.sending:
            await self._commit_oldest()

    async def _commit_oldest(self) -> None:
        future, end = self.sending.popleft()
        part = await future
        if self.verify is not None:
            self.pending_parts.append(part)
            return
        await run_in_threadpool(partial(
            uploads.commit_progress, self.state.id, expected_offset=self.committed, new_offset=end, parts=[part],
            tail_key=None, tail_size=0, sniffed_mime=self._mime()))
        self.committed = end

    def _upload(self, number: int, data: bytes) -> UploadedPart:
        return get_storage().upload_part(self.state.s3_key, self.state.s3_upload_id, number, data, len(data))

    def _sniff(self) -> None:
        result = sniff(bytes(self.buffer[:SNIFF_BYTES]))
        if not isinstance(result, Sniffed):
            uploads.abandon(self.state.id, UploadStatus.aborted)
            raise Problem(415, result.code, result.zh, result.en)
        limit = self.state.max_video_bytes if result.kind.value == "video" else self.state.max_image_bytes
        if self.state.length > limit:
            uploads.abandon(self.state.id, UploadStatus.aborted)
            raise uploads.too_large(limit, result.kind.value)
        self.sniffed = result

    def _mime(self) -> str | None:
        return self.sniffed.mime if self.sniffed else self.state.sniffed_mime

    def save_tail(self) -> None:
        """Commit pending parts and keep the bytes below a part in a new tail object."""
        if self._mime() is None and self.base == 0 and len(self.buffer) >= SNIFF_MIN_BYTES:
            self._sniff()  # a client sending small chunks learns about a refused type at once
        if self.end == self.committed and not self.pending_parts:
            return
        tail_key = None
        if self.buffer:
            tail_key = f"{uploads.tail_prefix(self.state.id)}tail-{self.end}-{uuid.uuid4().hex}"
            get_storage().put_bytes(tail_key, bytes(self.buffer))
        try:
            uploads.commit_progress(self.state.id, expected_offset=self.committed, new_offset=self.end,
                                    parts=self.pending_parts, tail_key=tail_key, tail_size=len(self.buffer),
                                    sniffed_mime=self._mime())
        except BaseException:
            if tail_key:  # lost the race (or the database): nobody points at this object
                _forget(tail_key)
            raise
        self.committed, self.pending_parts = self.end, []
        old = self.state.tail_key
        if old and old != tail_key:
            _forget(old)

    def finish(self) -> uuid.UUID:
        """Send the rest as the last part and complete the upload."""
        uploads.require_broker()
        mime = self._mime()
        if self.sniffed is None and mime is None:  # a file shorter than the sniff window, fully buffered here
            self._sniff()
            mime = self._mime()
        assert mime is not None  # noqa: S101 - sniffed above or in an earlier PATCH
        kind = kind_of_mime(mime)
        parts = list(self.pending_parts)
        if self.buffer:
            number = uploads.reserve_part_number(self.state.id)
            try:
                parts.append(get_storage().upload_part(self.state.s3_key, self.state.s3_upload_id, number,
                                                       bytes(self.buffer), len(self.buffer)))
            except S3Error as exc:  # completed by an attempt that died before its commit: complete_upload checks
                if exc.code != "NoSuchUpload":
                    raise
        return uploads.complete_upload(state=self.state, expected_offset=self.committed, new_parts=parts,
                                       sniffed_mime=mime, kind=kind)


def _read_tail(state: UploadState) -> bytes:
    """The bytes the last PATCH left below a part; gone means another request moved the upload on (409)."""
    try:
        data = get_storage().get_bytes(state.tail_key or "")
    except S3Error as exc:
        if exc.code != "NoSuchKey":
            raise
        data = b""
    if len(data) != state.tail_size:
        raise uploads.offset_moved()
    return data


def _forget(key: str) -> None:
    try:
        get_storage().delete(key)
    except Exception:  # a stale tail is harmless: the expiry task deletes the upload's prefix
        return


async def append(request: Request, state: UploadState, checksum: bytes | None) -> AppendResult:
    """Append the request body at ``state.offset``; complete the upload when it reaches ``state.length``."""
    settings = get_settings()
    writer = _Writer(state=state, verify=checksum, part_size=settings.upload_part_size,
                     in_flight=settings.upload_parts_in_flight)
    if state.tail_size:
        writer.buffer += await run_in_threadpool(_read_tail, state)
    digest = hashlib.sha256() if checksum is not None else None
    disconnected = False
    try:
        try:
            async for chunk in request.stream():
                if chunk:
                    if digest is not None:
                        digest.update(chunk)
                    await writer.feed(chunk)
        except ClientDisconnect:
            disconnected = True
        await writer.drain()
    except BaseException:
        await _settle(writer)
        raise
    if disconnected:
        if checksum is None:  # keep what arrived: the client resumes from here
            await run_in_threadpool(writer.save_tail)
        return AppendResult(writer.committed, disconnected=True)
    if digest is not None and digest.digest() != checksum:
        raise Problem(CHECKSUM_MISMATCH, "checksum_mismatch", "分段校验和不一致，该段数据已丢弃，请重新发送",
                      "the chunk's Upload-Checksum does not match its bytes; the chunk was discarded, send it again")
    if writer.end == state.length:
        asset_id = await run_in_threadpool(writer.finish)
        return AppendResult(state.length, asset_id)
    await run_in_threadpool(writer.save_tail)
    return AppendResult(writer.committed)


async def _settle(writer: _Writer) -> None:
    """Let parts in flight finish (or fail) before the request ends, so nothing writes after the response.

    Their bytes are not committed: after an error the client resumes from the last committed offset."""
    for future, _end in writer.sending:
        with contextlib.suppress(Exception):  # the original error is the one reported
            await future
    writer.sending.clear()
