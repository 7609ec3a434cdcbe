"""DOCX and ODT: ZIP packages checked from their directory before any member is read, then XML parsed with defusedxml.

Refused: too many members, too much data unpacked or too high a compression ratio (zip bombs), member names outside
the package (absolute, ``..``, drive letters), encrypted members, macros (``vbaProject.bin``, macro-enabled content
types, ODF ``Basic/``/``Scripts/`` and event listeners), any DTD or entity in the XML (billion laughs, external
entities), and a ZIP that is neither a DOCX nor an ODT.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import Image

from service.core.media_types import MAX_IMAGE_PIXELS, ODT_MIMETYPE
from workers.documents import DocumentRejected, Extracted, Limits, cut
from workers.documents.thumbnail import text_card

MAX_MEMBERS = 2000
#: All members unpacked together; a real DOCX of a 300-page report with photos is well below.
MAX_UNPACKED_BYTES = 512 * 1024**2
#: Ratio above which a large member is a bomb (XML compresses 5–20×; 1 GB of zeros compresses ~1000×).
MAX_RATIO = 100
RATIO_FROM_BYTES = 1024**2
#: Largest XML part parsed, and largest embedded thumbnail decoded.
MAX_XML_BYTES = 64 * 1024**2
MAX_THUMBNAIL_BYTES = 4 * 1024**2
THUMBNAIL_PIXELS = min(MAX_IMAGE_PIXELS, 16_000_000)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
SCRIPT = "{urn:oasis:names:tc:opendocument:xmlns:script:1.0}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
_DRIVE = re.compile(r"^[A-Za-z]:")


def extract(path: Path, limits: Limits) -> Extracted:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DocumentRejected("document_malformed", f"not a readable ZIP package: {exc}") from exc
    with archive:
        infos = archive.infolist()
        _check_directory(infos)
        names = {info.filename for info in infos}
        _check_macro_names(names)
        try:
            if "mimetype" in names:
                return _odt(archive, names, limits)
            if "[Content_Types].xml" in names:
                return _docx(archive, names, limits)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:  # CRC errors, truncated members
            raise DocumentRejected("document_malformed", f"{type(exc).__name__}: {exc}") from exc
    raise DocumentRejected("document_not_office", "neither [Content_Types].xml nor mimetype")


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise DocumentRejected("document_zip_bomb", f"{len(infos)} members > {MAX_MEMBERS}")
    total = 0
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\x00" in name:
            raise DocumentRejected("document_path_traversal", f"member {name[:120]!r}")
        if info.flag_bits & 0x1:
            raise DocumentRejected("document_encrypted", f"member {name[:120]!r} is encrypted")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise DocumentRejected("document_zip_bomb", f"more than {MAX_UNPACKED_BYTES} bytes unpacked")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DocumentRejected("document_zip_bomb",
                                   f"member {name[:120]!r} {info.file_size}/{info.compress_size} bytes")


def _check_macro_names(names: set[str]) -> None:
    for name in names:
        lower = name.lower()
        if lower.endswith(("vbaproject.bin", "vbadata.xml")) or lower.startswith(("basic/", "scripts/")):
            raise DocumentRejected("document_macros", f"member {name[:120]!r}")


def _read(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, never more than its directory entry declared (a lying directory is a bomb)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise DocumentRejected("document_zip_bomb", f"member {name!r} is {info.file_size} bytes")
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise DocumentRejected("document_zip_bomb", f"member {name!r} unpacks beyond its declared size")
    return data


def _xml(archive: zipfile.ZipFile, name: str) -> Element:
    data = _read(archive, name, MAX_XML_BYTES)
    try:
        root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        return root
    except DefusedXmlException as exc:
        raise DocumentRejected("document_xml_entities", f"{name}: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise DocumentRejected("document_malformed", f"{name}: {exc}") from exc


def _docx(archive: zipfile.ZipFile, names: set[str], limits: Limits) -> Extracted:
    types = _xml(archive, "[Content_Types].xml")
    declared = [el.get("ContentType", "") for el in types.iter() if el.tag in (f"{CT}Override", f"{CT}Default")]
    if any("macroenabled" in value.lower() or "vbaproject" in value.lower() for value in declared):
        raise DocumentRejected("document_macros", "a macro-enabled content type (.docm)")
    if "word/document.xml" not in names:
        raise DocumentRejected("document_not_office", "no word/document.xml (a spreadsheet or presentation?)")
    body = _xml(archive, "word/document.xml")
    paragraphs = []
    for paragraph in body.iter(f"{W}p"):
        parts = []
        for el in paragraph.iter():
            if el.tag == f"{W}t" and el.text:
                parts.append(el.text)
            elif el.tag == f"{W}tab":
                parts.append("\t")
            elif el.tag in (f"{W}br", f"{W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    text = "\n".join(paragraphs).strip()
    pages = None
    if "docProps/app.xml" in names:
        found = _xml(archive, "docProps/app.xml").find(f"{EP}Pages")
        stated = (found.text or "").strip() if found is not None else ""
        pages = int(stated) if stated.isdigit() else None
    _check_pages(pages, limits)
    thumbnail = _embedded_thumbnail(archive, names, ("docProps/thumbnail.jpeg", "docProps/thumbnail.jpg",
                                                     "docProps/thumbnail.png"))
    return Extracted("docx", cut([text], limits.max_text_chars), pages=pages, thumbnail=thumbnail or text_card(text))


def _odt(archive: zipfile.ZipFile, names: set[str], limits: Limits) -> Extracted:
    mimetype = _read(archive, "mimetype", 200).strip()
    if mimetype != ODT_MIMETYPE:
        kind = mimetype[:80].decode(errors="replace")
        raise DocumentRejected("document_not_office", f"an OpenDocument of type {kind}")
    if "META-INF/manifest.xml" in names:
        manifest = _xml(archive, "META-INF/manifest.xml")
        if any(el.tag == f"{MANIFEST}encryption-data" for el in manifest.iter()):
            raise DocumentRejected("document_encrypted", "the manifest declares encryption data")
    if "content.xml" not in names:
        raise DocumentRejected("document_malformed", "no content.xml")
    content = _xml(archive, "content.xml")
    if any(el.tag in (f"{OFFICE}event-listeners", f"{SCRIPT}event-listener", f"{OFFICE}script") for el in
           content.iter()):
        raise DocumentRejected("document_macros", "scripts or event listeners in content.xml")
    paragraphs = ["".join(el.itertext()) for el in content.iter() if el.tag in (f"{TEXT}p", f"{TEXT}h")]
    text = "\n".join(paragraphs).strip()
    pages = None
    if "meta.xml" in names:
        stats = _xml(archive, "meta.xml").find(f".//{META}document-statistic")
        count = stats.get(f"{META}page-count") if stats is not None else None
        pages = int(count) if count and count.isdigit() else None
    _check_pages(pages, limits)
    thumbnail = _embedded_thumbnail(archive, names, ("Thumbnails/thumbnail.png",))
    return Extracted("odt", cut([text], limits.max_text_chars), pages=pages, thumbnail=thumbnail or text_card(text))


def _check_pages(pages: int | None, limits: Limits) -> None:
    if pages is not None and pages > limits.max_pages:
        raise DocumentRejected("document_too_many_pages", f"{pages} pages > {limits.max_pages}")


def _embedded_thumbnail(archive: zipfile.ZipFile, names: set[str], candidates: tuple[str, ...]) -> Image.Image | None:
    """The preview picture the editor saved in the package (a PNG or JPEG), decoded within a pixel limit."""
    for name in candidates:
        if name not in names:
            continue
        data = _read(archive, name, MAX_THUMBNAIL_BYTES)
        try:
            with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as picture:
                if picture.width * picture.height > THUMBNAIL_PIXELS:
                    return None
                return picture.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            return None  # a broken preview is no reason to refuse the document
    return None
