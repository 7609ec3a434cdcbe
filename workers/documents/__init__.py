"""Document inspection: the contract every document extractor follows, and the limits it runs under.

An extractor (one per document type, ordered entries of ``workers.documents.inspect.EXTRACTORS``) gets a local file
that the sniffer typed by content and returns ``Extracted`` (pages' text, page count, a first-page picture), or raises
``DocumentRejected`` with a code of ``service.documents.reasons``. Extractors never execute anything a file carries:
PDFs are checked for scripts and actions before PDFium (built without JavaScript) opens them; DOCX/ODT packages are
checked from their ZIP directory before any member is read, and their XML is parsed with defusedxml (no DTDs).
Everything runs in a child process with CPU, memory and wall-clock limits (``workers.documents.tasks``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from service.documents.reasons import REASONS


class DocumentRejected(Exception):
    """The document is refused: ``code`` is a key of ``service.documents.reasons.REASONS``."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in REASONS:
            raise ValueError(f"unknown document reject code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pages: int
    #: text kept per document (characters); a longer text is cut (search and screening read this much)
    max_text_chars: int = 1_000_000


@dataclass
class Extracted:
    doc_type: str  # pdf | docx | odt | txt (service.core.media_types.DOCUMENT_TYPES)
    pages_text: list[str]  # one entry per page for a PDF; one entry for the whole text otherwise
    pages: int | None = None  # None where the format does not know (a text file; a DOCX without app.xml)
    thumbnail: Image.Image | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return "\n\n".join(part for part in self.pages_text if part)


def cut(texts: list[str], max_chars: int) -> list[str]:
    """``texts`` with at most ``max_chars`` characters in all (the last kept entry cut)."""
    kept: list[str] = []
    left = max_chars
    for text in texts:
        kept.append(text[:left])
        left -= len(kept[-1])
        if left <= 0:
            break
    return kept
