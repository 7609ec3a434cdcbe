"""Inspect one document: type it by content and run its extractor. ``python -m workers.documents.inspect IN OUT
LIMITS`` runs it in a child process (``workers.documents.tasks`` sets its CPU, memory and time limits) and writes
``result.json`` (and ``thumbnail.jpg``) into the folder OUT."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.core.media_types import SNIFF_BYTES, Refusal, sniff_document
from workers.documents import DocumentRejected, Extracted, Limits, package, pdf, plaintext

#: document type -> extractor (DOCX and ODT share the package checks, which tell them apart from the directory).
EXTRACTORS: dict[str, Callable[[Path, Limits], Extracted]] = {
    "pdf": pdf.extract,
    "docx": package.extract,
    "odt": package.extract,
    "txt": plaintext.extract,
}
#: sniffer refusal -> reject code
REFUSALS = {"empty": "document_empty", "media": "document_is_media", "legacy_office": "document_legacy_office",
            "unsupported": "document_unsupported"}
RESULT, THUMBNAIL = "result.json", "thumbnail.jpg"
THUMBNAIL_QUALITY = 82


def inspect_file(path: Path, limits: Limits) -> Extracted:
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise DocumentRejected("document_too_large", f"{size} bytes > {limits.max_bytes}")
    with path.open("rb") as fh:
        found = sniff_document(fh.read(SNIFF_BYTES))
    if isinstance(found, Refusal):
        raise DocumentRejected(REFUSALS.get(found.why, "document_unsupported"), found.en)
    return EXTRACTORS[found.code](path, limits)


def run(source: Path, out: Path, limits: Limits) -> dict[str, Any]:
    """Inspect ``source`` and write the result (and thumbnail) into ``out``; returns what was written."""
    try:
        found = inspect_file(source, limits)
    except DocumentRejected as exc:
        result: dict[str, Any] = {"reject": exc.code, "detail": exc.detail}
    except MemoryError:
        result = {"reject": "document_too_complex", "detail": "out of memory"}
    except (RecursionError, OverflowError) as exc:
        result = {"reject": "document_too_complex", "detail": type(exc).__name__}
    else:
        if found.thumbnail is not None:
            found.thumbnail.save(out / THUMBNAIL, "JPEG", quality=THUMBNAIL_QUALITY)
        result = {"doc_type": found.doc_type, "pages": found.pages, "pages_text": found.pages_text,
                  "thumbnail": found.thumbnail is not None}
    (out / RESULT).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return result


def main(argv: list[str]) -> int:
    source, out, limits = Path(argv[1]), Path(argv[2]), Limits(**json.loads(argv[3]))
    run(source, out, limits)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
