"""Pure rules: a consent document is typed by its content; retention months land on real days."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from service.consent.documents import check_consent_document
from service.core.errors import Problem
from service.retention.service import add_months

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG")
    return out.getvalue()


def test_plain_pdfs_and_photos_pass() -> None:
    assert check_consent_document(PDF).mime == "application/pdf"
    assert check_consent_document(b"\r\n" + PDF).ext == "pdf"  # leading line breaks some scanners write
    assert check_consent_document(png()).mime == "image/png"


@pytest.mark.parametrize(("data", "why"), [
    (b"", "empty"),
    (b"%PDF-1.4\n1 0 obj << /Encrypt 2 0 R >> endobj", "pdf_active"),
    (b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (x) >> >>", "pdf_active"),
    (b"%PDF-1.4\n<< /S /Launch /F (cmd.exe) >>", "pdf_active"),
    (b"%PDF-1.4\n<< /Type /EmbeddedFile >>", "pdf_active"),
    (b"PK\x03\x04 a docx is a zip", "type"),
    (b"just some text, signed by a guardian" * 10, "type"),
    (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 300, "type"),  # a video is no consent form
])
def test_refused_with_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(Problem) as refused:
        check_consent_document(data)
    assert refused.value.status == 415
    assert refused.value.extra["why"] == why


def test_a_pdf_name_that_merely_starts_like_js_is_fine() -> None:
    assert check_consent_document(PDF.replace(b"/Catalog", b"/Catalog /JSONish 1")).mime == "application/pdf"


def test_too_large() -> None:
    with pytest.raises(Problem) as refused:
        check_consent_document(PDF + b" " * (20 * 1024 * 1024))
    assert refused.value.status == 413


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2023, 5, 27), 3, date(2023, 8, 27)),
    (date(2023, 8, 31), 1, date(2023, 9, 30)),
    (date(2023, 11, 30), 3, date(2024, 2, 29)),
    (date(2023, 5, 20), 12, date(2024, 5, 20)),
    (date(2023, 5, 20), 240, date(2043, 5, 20)),
])
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
