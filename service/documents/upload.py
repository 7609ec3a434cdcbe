"""Receive one multipart file field without holding it in memory: the body streams through python-multipart into a
private temporary file, refused with 413 as soon as it passes the campaign's limit and with 415 as soon as its first
bytes show it is no document; the stored file then goes to S3."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from service.core.errors import Problem
from service.core.media_types import SNIFF_BYTES, MediaType, Refusal, sniff_document
from service.documents.reasons import reason

FIELD = "file"
#: Bytes of a multipart body beyond the file itself (boundaries, headers, a few small fields).
ENVELOPE_BYTES = 64 * 1024
REFUSAL_CODES = {"empty": "document_empty", "media": "document_is_media", "legacy_office": "document_legacy_office",
                 "unsupported": "document_unsupported"}


@dataclass
class Received:
    path: Path
    filename: str
    size: int
    sha256: str
    found: MediaType


def problem(status: int, code: str) -> Problem:
    zh, en = reason(code)
    return Problem(status, code, zh, en)


def too_large(limit: int) -> Problem:
    mb = limit / 1024**2
    return Problem(413, "document_too_large", f"文档超过本届活动的大小上限（{mb:.0f} MB）",
                   f"the document exceeds the campaign's size limit ({mb:.0f} MB)", extra={"limit_bytes": limit})


@dataclass
class _FilePart:
    limit: int
    folder: Path
    handle: IO[bytes] | None = None
    filename: str = ""
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    found: MediaType | None = None
    done: bool = False

    def begin(self, filename: str) -> None:
        if self.handle is not None or self.done:
            raise Problem(400, "one_file_only", "每次只能上传一个文件", "send one file per request")
        self.filename = filename
        self.handle = (self.folder / "upload").open("wb")

    def write(self, data: bytes) -> None:
        assert self.handle is not None  # noqa: S101 - only called inside the file part
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.limit)
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
            if len(self.head) >= SNIFF_BYTES:
                self.sniff()
        self.digest.update(data)
        self.handle.write(data)

    def sniff(self) -> None:
        found = sniff_document(bytes(self.head))
        if isinstance(found, Refusal):
            raise problem(400 if found.why == "empty" else 415, REFUSAL_CODES.get(found.why, "document_unsupported"))
        self.found = found

    def end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
            self.done = True
            if self.found is None:
                self.sniff()


async def receive(request: Request, limit: int) -> tuple[Received, tempfile.TemporaryDirectory[str]]:
    """The ``file`` field of a multipart/form-data body, stored in a temporary folder the caller cleans up."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise Problem(415, "multipart_required", "请以 multipart/form-data 表单上传文件（字段名 file）",
                      "send the file as multipart/form-data (field name: file)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + ENVELOPE_BYTES:
        raise too_large(limit)
    folder = tempfile.TemporaryDirectory(prefix="mediadesk-document-")
    try:
        part = _FilePart(limit, Path(folder.name))
        await _parse(request.stream(), boundary, part, limit + ENVELOPE_BYTES)
        if not part.done or part.found is None:
            raise Problem(400, "file_missing", "请求中没有名为 file 的文件字段",
                          "the request has no file field named 'file'")
        received = Received(Path(folder.name) / "upload", part.filename, part.size, part.digest.hexdigest(),
                            part.found)
    except BaseException:
        folder.cleanup()
        raise
    return received, folder


async def _parse(chunks: AsyncIterator[bytes], boundary: bytes, part: _FilePart, max_body: int) -> None:
    headers: dict[bytes, bytes] = {}
    field_name: list[bytes] = [b""]
    value: list[bytes] = [b""]
    in_file = [False]

    def on_part_begin() -> None:
        headers.clear()
        in_file[0] = False

    def on_header_field(data: bytes, start: int, end: int) -> None:
        field_name[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value[0] += data[start:end]

    def on_header_end() -> None:
        headers[field_name[0].lower()] = value[0]
        field_name[0], value[0] = b"", b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition"))
        if options.get(b"name") == FIELD.encode() and b"filename" in options:
            in_file[0] = True
            part.begin(options[b"filename"].decode(errors="replace"))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if in_file[0]:
            part.write(data[start:end])

    def on_part_end() -> None:
        if in_file[0]:
            part.end()
            in_file[0] = False

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end}, max_size=max_body)
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > max_body:
                raise too_large(part.limit)
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise Problem(400, "multipart_invalid", "表单数据格式错误",
                      "the multipart/form-data body is malformed") from exc
    except ClientDisconnect as exc:
        raise Problem(400, "upload_incomplete", "上传中断，请重新上传",
                      "the upload was cut off; send it again") from exc
    finally:
        if part.handle is not None:
            part.handle.close()
