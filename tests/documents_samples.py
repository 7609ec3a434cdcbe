"""Report documents built in code: real PDFs (a CJK font by name, text with a ToUnicode map, so PDFium extracts the
Chinese), DOCX (python-docx), ODT (a ZIP with content.xml), plain text; and hostile ones, each with the reject code
the document worker must give it."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

ODT_MIME = "application/vnd.oasis.opendocument.text"
PHONE_TEXT = "报名咨询电话：13812345678，限时优惠，学费八折"
HONEST_TEXT = "技能：让生活更美好。职业教育活动周开放校园，学生展示数控加工与烹饪技艺。"


def _to_unicode() -> bytes:
    blocks = []
    for start in range(0, 256, 100):
        rows = [f"<{high:02X}00> <{high:02X}FF> <{high:02X}00>" for high in range(start, min(start + 100, 256))]
        blocks.append(f"{len(rows)} beginbfrange\n" + "\n".join(rows) + "\nendbfrange")
    return ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + "\n".join(blocks)
            + "\nendcmap CMapName currentdict /CMap defineresource pop end end").encode()


def _stream(body: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(body)} {extra}>>\nstream\n".encode() + body + b"\nendstream"


def pdf_bytes(pages: list[str], *, catalog_extra: str = "", extra_objects: tuple[bytes, ...] = (),
              trailer_extra: str = "") -> bytes:
    """A valid PDF with one page per entry of ``pages`` (lines split on newlines). ``extra_objects`` are numbered
    from 6 + 2 × pages, so ``catalog_extra`` can point at them."""
    objects: list[bytes] = [
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra}>>".encode(),
        b"",  # pages, below
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H /DescendantFonts [4 0 R] "
        b"/ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (GB1) /Supplement 4 >> /DW 1000 >>",
        _stream(_to_unicode()),
    ]
    kids = []
    for text in pages:
        lines = [f"<{line.encode('utf-16-be').hex().upper()}> Tj T*" for line in text.split("\n")]
        content = ("BT /F1 14 Tf 18 TL 50 780 Td " + " ".join(lines) + " ET").encode()
        page_number = len(objects) + 1
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {page_number + 1} 0 R >>".encode())
        objects.append(_stream(content))
        kids.append(f"{page_number} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    objects.extend(extra_objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt_bytes(paragraphs: list[str], *, content_prefix: str = "", extra: dict[str, bytes] | None = None,
              manifest_extra: str = "") -> bytes:
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{content_prefix}<office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_MIME}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                f"{manifest_extra}</manifest:file-entry></manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME)  # first and stored, as ODF requires
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        for name, data in (extra or {}).items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rezip(data: bytes, *, add: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, payload in (add or {}).items():
            archive.writestr(name, payload)
    return out.getvalue()


# --- hostile documents --------------------------------------------------------------------------------------------


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([HONEST_TEXT]))))
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_pdf() -> bytes:
    # the action's name hidden with a #xx escape, as malware does
    return pdf_bytes([HONEST_TEXT], catalog_extra="/OpenAction << /S /J#61vaScript /JS (app.alert\\(1\\)) >> ")


def launch_pdf() -> bytes:
    return pdf_bytes([HONEST_TEXT], catalog_extra="/OpenAction 8 0 R ",
                     extra_objects=(b"<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (calc.exe) >> >>",))


def embedded_file_pdf() -> bytes:
    payload = _stream(b"MZ fake executable", "/Type /EmbeddedFile ")
    return pdf_bytes([HONEST_TEXT], catalog_extra="/Names << /EmbeddedFiles << /Names [(a.exe) 8 0 R] >> >> ",
                     extra_objects=(b"<< /Type /Filespec /F (a.exe) /EF << /F 9 0 R >> >>", payload))


def truncated_pdf() -> bytes:
    data = pdf_bytes([HONEST_TEXT] * 3)
    return data[: len(data) * 2 // 3]


def docx_zip_bomb() -> bytes:
    """A DOCX whose document.xml member unpacks to 600 MB of zeros from ~600 kB."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes([HONEST_TEXT])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info.filename, source.read(info))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(600):
                member.write(block)
    return out.getvalue()


def docx_many_members() -> bytes:
    return _rezip(docx_bytes([HONEST_TEXT]), add={f"word/media/x{i}.bin": b"" for i in range(2100)})


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10))
                  + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                    "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>")
EXTERNAL_ENTITY = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")


def docx_with_document_xml(xml: str) -> bytes:
    return _rezip(docx_bytes([HONEST_TEXT]), replace={"word/document.xml": xml.encode()})


def docm_macros() -> bytes:
    data = docx_bytes([HONEST_TEXT])
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").decode()
    types = types.replace("wordprocessingml.document.main+xml", "ms-word.document.macroEnabled.main+xml")
    return _rezip(data, replace={"[Content_Types].xml": types.encode()},
                  add={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 500})


def odt_basic_macros() -> bytes:
    return odt_bytes([HONEST_TEXT], extra={"Basic/Standard/Module1.xml": b"<script:module/>"})


def path_traversal_docx() -> bytes:
    return _rezip(docx_bytes([HONEST_TEXT]), add={"../../etc/cron.d/evil": b"* * * * * root sh"})


def encrypted_odt() -> bytes:
    return odt_bytes([HONEST_TEXT], manifest_extra='<manifest:encryption-data manifest:checksum-type="SHA1" '
                                                   'manifest:checksum="AAAA"/>')


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a document")
    return out.getvalue()


@dataclass(frozen=True)
class HostileDocument:
    name: str  # as uploaded (often lying)
    data: bytes
    code: str  # the reject code the worker must give
    why: str


def hostile_documents() -> list[HostileDocument]:
    return [
        HostileDocument("encrypted.pdf", encrypted_pdf(), "document_encrypted", "a password-protected PDF"),
        HostileDocument("script.pdf", javascript_pdf(), "document_javascript", "OpenAction JavaScript (#xx-escaped)"),
        HostileDocument("launch.pdf", launch_pdf(), "document_launch_action", "OpenAction /Launch cmd.exe"),
        HostileDocument("attachment.pdf", embedded_file_pdf(), "document_embedded_file", "an embedded .exe"),
        HostileDocument("truncated.pdf", truncated_pdf(), "document_malformed", "a PDF cut at two thirds"),
        HostileDocument("bomb.docx", docx_zip_bomb(), "document_zip_bomb", "document.xml unpacking to 600 MB"),
        HostileDocument("members.docx", docx_many_members(), "document_zip_bomb", "2,100 members"),
        HostileDocument("laughs.docx", docx_with_document_xml(BILLION_LAUGHS), "document_xml_entities",
                        "billion laughs in document.xml"),
        HostileDocument("xxe.docx", docx_with_document_xml(EXTERNAL_ENTITY), "document_xml_entities",
                        "an external entity naming /etc/passwd"),
        HostileDocument("macros.docx", docm_macros(), "document_macros", "a .docm with vbaProject.bin"),
        HostileDocument("basic.odt", odt_basic_macros(), "document_macros", "ODT with a Basic library"),
        HostileDocument("traversal.docx", path_traversal_docx(), "document_path_traversal", "a ../../ member"),
        HostileDocument("encrypted.odt", encrypted_odt(), "document_encrypted", "ODT manifest with encryption data"),
        HostileDocument("archive.docx", plain_zip(), "document_not_office", "a plain ZIP named .docx"),
        HostileDocument("inflation.pdf", pdf_inflation_bomb(), "document_too_complex",
                        "a page content stream inflating to 2 GiB (the parser child hits its memory limit)"),
        HostileDocument("binary.txt", b"\x00\x01\x02\x03binary\xff\xfe" * 200, "document_unsupported",
                        "binary bytes named .txt"),
    ]


# --- rows for tests that need a report (the reporting service is another domain's; these write the rows) ----------


def make_report(actor: Any, campaign_id: uuid.UUID, *, status: str = "draft", kind: str = "case",
                title: str = "典型案例：开放校园", body: str = "") -> uuid.UUID:
    """A report of ``actor``'s organisation in ``status``, written straight to the database."""
    from service.core.db import session_scope
    from service.db.reporting import Report, ReportKind, ReportStatus

    with session_scope() as session:
        report = Report(campaign_id=campaign_id, org_id=actor.org_id, kind=ReportKind(kind),
                        status=ReportStatus(status), title=title, body=body, created_by=actor.user_id,
                        search_text=f"{title}\n\n{body}".strip())
        session.add(report)
        session.flush()
        return report.id


def make_document(actor: Any, report_id: uuid.UUID, *, text: str = HONEST_TEXT, thumbnail: bytes | None = None,
                  status: str = "ready") -> uuid.UUID:
    """A document of the report as the worker leaves it (original and thumbnail in S3), without running it."""
    from service.core.db import session_scope
    from service.core.storage import get_storage
    from service.db.reporting import DocumentStatus, DocumentType, Report, ReportDocument
    from service.documents.service import original_key, thumbnail_key

    data = text.encode()
    document_id = uuid.uuid4()
    with session_scope() as session:
        report = session.get(Report, report_id)
        assert report is not None
        key = original_key(report, document_id, "说明.txt")
        get_storage().put_bytes(key, data, "text/plain; charset=utf-8")
        thumb = None
        if thumbnail is not None:
            thumb = thumbnail_key(document_id)
            get_storage().put_bytes(thumb, thumbnail, "image/jpeg")
        session.add(ReportDocument(id=document_id, report_id=report_id, uploaded_by=actor.user_id, filename="说明.txt",
                                   doc_type=DocumentType.txt, bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                   object_key=key, thumbnail_key=thumb, pages=None, text=text,
                                   status=DocumentStatus(status)))
    return document_id


def multipart(filename: str, data: bytes, boundary: str = "mediadesk-test-boundary") -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body with one ``file`` field, and its Content-Type header."""
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def _deflate_repeated(block: bytes, times: int) -> bytes:
    """A zlib stream of ``block`` × ``times``, made from two compressions: after a full flush the compressor forgets
    its history, so every further copy of the block compresses to the same bytes."""
    import struct
    import zlib

    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the final empty block; the checksum follows for the whole data
    checksum = 1
    for _ in range(times):
        checksum = zlib.adler32(block, checksum)
    return first + unit * (times - 1) + end + struct.pack(">I", checksum)


def pdf_inflation_bomb(gib: int = 2) -> bytes:
    """A 2-page-sized PDF whose first page's content stream inflates to ``gib`` GiB: the parser child must run out
    of its memory limit, not the worker."""
    body = _deflate_repeated(b" " * (16 * 1024 * 1024), gib * 64)
    stream = _stream(body, "/Filter /FlateDecode ")
    return pdf_bytes([HONEST_TEXT], extra_objects=(stream,)).replace(b"/Contents 7 0 R", b"/Contents 8 0 R")
