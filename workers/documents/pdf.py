"""PDF: refused when encrypted, truncated, or carrying scripts, launch/open actions or embedded files; then PDFium
(pypdfium2, built without a JavaScript engine) extracts each page's text and renders the first page.

The structure is checked with pypdf (pure Python, executes nothing) by walking every object reachable from the
trailer, so names hidden with ``#xx`` escapes or inside object streams are seen as a viewer would see them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workers.documents import DocumentRejected, Extracted, Limits, cut

#: A well-formed PDF ends with ``%%EOF`` within its last kilobyte (ISO 32000 7.5.5); a cut one does not.
EOF_WINDOW = 1024
#: Objects the structure walk visits at most (a real 300-page report has tens of thousands).
MAX_OBJECTS = 1_000_000
#: Longest side of the first-page thumbnail, pixels.
THUMBNAIL_SIDE = 480
#: What an OpenAction may do without being refused: go to a page of this document.
HARMLESS_OPEN_ACTIONS = frozenset({"/GoTo"})
SCRIPT_ACTIONS = frozenset({"/JavaScript"})
#: Keys that carry scripts: an action's /JS, the document's /JavaScript name tree, XFA forms (scripted XML forms).
SCRIPT_KEYS = frozenset({"/JS", "/JavaScript", "/XFA"})
LAUNCH_ACTIONS = frozenset({"/Launch", "/ImportData", "/SubmitForm", "/URI", "/GoToR", "/GoToE", "/Rendition",
                            "/RichMediaExecute"})


def extract(path: Path, limits: Limits) -> Extracted:
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - EOF_WINDOW))
        if b"%%EOF" not in fh.read():
            raise DocumentRejected("document_malformed", "no %%EOF at the end: truncated")
    pages = _check_structure(path)
    if pages > limits.max_pages:
        raise DocumentRejected("document_too_many_pages", f"{pages} pages > {limits.max_pages}")
    return _read(path, limits)


def _check_structure(path: Path) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise DocumentRejected("document_encrypted", "the trailer names an /Encrypt dictionary")
        _walk(reader.trailer)
        return len(reader.pages)
    except DocumentRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise DocumentRejected("document_malformed", f"{type(exc).__name__}: {str(exc)[:200]}") from exc


def _walk(root: Any) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > MAX_OBJECTS:
            raise DocumentRejected("document_too_complex", f"more than {MAX_OBJECTS} objects")
        if isinstance(node, DictionaryObject):
            _check_dictionary(node)
            stack.extend(dict.values(node))
        elif isinstance(node, ArrayObject):
            stack.extend(list.__iter__(node))


def _name(value: Any) -> str | None:
    from pypdf.generic import IndirectObject, NameObject

    if isinstance(value, IndirectObject):
        value = value.get_object()
    return str(value) if isinstance(value, NameObject) else None


def _check_dictionary(node: Any) -> None:
    from pypdf.generic import DictionaryObject, IndirectObject

    keys = set(dict.keys(node))
    if scripts := keys & SCRIPT_KEYS:
        raise DocumentRejected("document_javascript", f"a dictionary with {sorted(scripts)}")
    action = _name(dict.get(node, "/S"))
    if action in SCRIPT_ACTIONS:
        raise DocumentRejected("document_javascript", "a /JavaScript action")
    if action == "/Launch":
        raise DocumentRejected("document_launch_action", "a /Launch action")
    if keys & {"/EmbeddedFiles", "/EF"} or _name(dict.get(node, "/Type")) == "/EmbeddedFile":
        raise DocumentRejected("document_embedded_file", "an embedded file")
    opening = dict.get(node, "/OpenAction")
    if isinstance(opening, IndirectObject):
        opening = opening.get_object()
    if isinstance(opening, DictionaryObject):
        kind = _name(dict.get(opening, "/S"))
        if kind in SCRIPT_ACTIONS:
            raise DocumentRejected("document_javascript", "an /OpenAction running JavaScript")
        if kind not in HARMLESS_OPEN_ACTIONS:
            raise DocumentRejected("document_launch_action", f"an /OpenAction of type {kind}")


def _read(path: Path, limits: Limits) -> Extracted:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = "document_encrypted" if "password" in str(exc).lower() else "document_malformed"
        raise DocumentRejected(code, f"PDFium: {exc}") from exc
    try:
        count = len(document)
        if count == 0:
            raise DocumentRejected("document_malformed", "no pages")
        if count > limits.max_pages:
            raise DocumentRejected("document_too_many_pages", f"{count} pages > {limits.max_pages}")
        texts: list[str] = []
        left = limits.max_text_chars
        for index in range(count):
            if left <= 0:
                texts.append("")
                continue
            page = document[index]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded().replace("\r\n", "\n")
            textpage.close()
            page.close()
            texts.append(text)
            left -= len(text)
        first = document[0]
        width, height = first.get_size()
        if not (width > 0 and height > 0):
            raise DocumentRejected("document_malformed", f"first page measures {width}×{height}")
        scale = min(THUMBNAIL_SIDE / max(width, height), 4.0)
        thumbnail = first.render(scale=scale).to_pil().convert("RGB")
        first.close()
        return Extracted("pdf", cut(texts, limits.max_text_chars), pages=count, thumbnail=thumbnail)
    finally:
        document.close()
