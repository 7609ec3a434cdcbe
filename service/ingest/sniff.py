"""The upload API's view of ``service.core.media_types.sniff``: accepted files as (mime, kind), refusals as a 415.

The table of accepted types and every refusal reason live in ``service.core.media_types`` (shared with the workers);
this module only maps them onto the API's shapes and its stable problem codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.core.media_types import BY_MIME, SNIFF_BYTES, SNIFF_MIN_BYTES, MediaType
from service.core.media_types import sniff as sniff_media
from service.db.asset import AssetKind

__all__ = ["SNIFF_BYTES", "SNIFF_MIN_BYTES", "Sniffed", "Unsupported", "kind_of_mime", "sniff"]


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: AssetKind


@dataclass(frozen=True)
class Unsupported:
    """A format we refuse, with the reason shown to the submitter (zh-CN / English)."""

    code: str  # empty_file | unsupported_type
    zh: str
    en: str


def sniff(head: bytes) -> Sniffed | Unsupported:
    """Classify a file by its first bytes (pass at least ``SNIFF_BYTES`` unless the file is shorter)."""
    found = sniff_media(head)
    if isinstance(found, MediaType):
        return Sniffed(found.mime, AssetKind(found.kind))
    return Unsupported("empty_file" if found.why == "empty" else "unsupported_type", found.zh, found.en)


def kind_of_mime(mime: str) -> AssetKind:
    """The kind of an accepted MIME type (recorded on the upload when it was sniffed)."""
    found = BY_MIME.get(mime)
    return AssetKind(found.kind) if found else AssetKind.video if mime.startswith("video/") else AssetKind.image
