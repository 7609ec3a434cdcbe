"""tus 1.0 wire format: header constants and parsers for Upload-Metadata, Upload-Checksum and offsets.

Pure functions, no I/O: unit-tested on their own (tests/unit/test_tus_protocol.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from service.core.errors import Problem

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,checksum,expiration"
CHECKSUM_ALGORITHMS = "sha256"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"

_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_METADATA_BYTES = 8192


@dataclass(frozen=True)
class UploadMetadata:
    submission_id: str
    filename: str
    sha256: str | None
    filetype: str | None
    extra: dict[str, str]


def bad_request(code: str, zh: str, en: str) -> Problem:
    return Problem(400, code, zh, en)


def parse_length(value: str | None, header: str) -> int:
    """A non-negative decimal integer header (Upload-Length, Upload-Offset)."""
    if value is None:
        raise bad_request(f"missing_{_slug(header)}", f"缺少 {header} 请求头", f"the {header} header is required")
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise bad_request(f"invalid_{_slug(header)}", f"{header} 必须是非负整数",
                          f"{header} must be a non-negative integer")
    return int(value)


def parse_metadata(header: str | None) -> dict[str, str]:
    """``key base64,key2 base64`` → dict; values are UTF-8. Keys must be unique."""
    if not header:
        return {}
    if len(header) > MAX_METADATA_BYTES:
        raise _bad_metadata("Upload-Metadata is too long")
    result: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not _KEY.match(parts[0]):
            raise _bad_metadata(f"malformed pair {pair.strip()[:40]!r}")
        key = parts[0]
        if key in result:
            raise _bad_metadata(f"duplicate key {key!r}")
        try:
            raw = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
            result[key] = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            raise _bad_metadata(f"the value of {key!r} is not base64-encoded UTF-8") from None
    return result


def upload_metadata(header: str | None) -> UploadMetadata:
    """The metadata mediadesk needs: ``submission_id`` and ``filename`` required, ``sha256`` (hex) optional."""
    values = parse_metadata(header)
    submission_id = values.pop("submission_id", "").strip()
    if not submission_id:
        raise bad_request("missing_submission_id", "Upload-Metadata 缺少 submission_id",
                          "Upload-Metadata must carry submission_id")
    filename = values.pop("filename", None) or values.pop("name", None) or ""
    if not filename.strip():
        raise bad_request("missing_filename", "Upload-Metadata 缺少文件名 filename",
                          "Upload-Metadata must carry filename")
    sha256 = values.pop("sha256", None)
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not _SHA256_HEX.match(sha256):
            raise bad_request("invalid_sha256", "sha256 必须是 64 位十六进制字符串",
                              "sha256 must be 64 hexadecimal characters")
    filetype = values.pop("filetype", None) or values.pop("type", None)
    return UploadMetadata(submission_id, filename, sha256, (filetype or "")[:100] or None, values)


def parse_checksum(header: str | None) -> bytes | None:
    """``Upload-Checksum: sha256 <base64>`` → the 32-byte digest; other algorithms are refused (400)."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm.lower() != "sha256":
        raise bad_request("checksum_algorithm_unsupported", "仅支持 sha256 校验",
                          f"checksum algorithm {algorithm[:20]!r} is not supported; use sha256")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise bad_request("invalid_checksum", "Upload-Checksum 格式错误", "Upload-Checksum is not a base64 sha256")
    return digest


def http_date(moment: datetime) -> str:
    """RFC 9110 date for Upload-Expires."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _bad_metadata(why: str) -> Problem:
    return bad_request("invalid_metadata", "Upload-Metadata 格式错误", f"invalid Upload-Metadata: {why}")


def _slug(header: str) -> str:
    return header.lower().replace("-", "_")
