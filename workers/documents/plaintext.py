"""Plain text: UTF-8 (with or without a BOM) or GB18030, decoded strictly; binary content is refused."""

from __future__ import annotations

from pathlib import Path

from service.core.media_types import text_encoding
from workers.documents import DocumentRejected, Extracted, Limits, cut
from workers.documents.thumbnail import text_card


def extract(path: Path, limits: Limits) -> Extracted:
    data = path.read_bytes()
    encoding = text_encoding(data, final=True)
    if encoding is None:
        raise DocumentRejected("document_not_text", "not UTF-8 or GB18030 text without control characters")
    text = data.decode(encoding).replace("\r\n", "\n").strip()
    return Extracted("txt", cut([text], limits.max_text_chars), pages=None, thumbnail=text_card(text))
