"""Documents typed by content (one sniffer table with the media), and each extractor's verdict on real and hostile
files, run in this process (the worker runs the same code in a limited child: tests/integration/test_documents.py,
tests/security/test_hostile_media.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from service.core import media_types
from service.core.media_types import Refusal, sniff, sniff_document
from service.documents.reasons import REASONS
from tests import documents_samples as samples
from workers.documents import DocumentRejected, Limits
from workers.documents.inspect import inspect_file

LIMITS = Limits(max_bytes=50 * 1024**2, max_pages=300)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(("make", "label"), [
    (lambda: samples.pdf_bytes([samples.HONEST_TEXT]), "PDF"),
    (lambda: samples.docx_bytes([samples.HONEST_TEXT]), "Word"),
    (lambda: samples.odt_bytes([samples.HONEST_TEXT]), "ODF"),
    (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Office"),
])
def test_media_uploads_refuse_documents_and_say_where_they_belong(make: object, label: str) -> None:
    found = sniff(make()[: media_types.SNIFF_BYTES])  # type: ignore[operator]
    assert isinstance(found, Refusal)
    assert label in found.en
    assert "upload it as a report document" in found.en
    assert "作为文档上传" in found.zh


@pytest.mark.parametrize(("data", "code"), [
    (samples.pdf_bytes([samples.HONEST_TEXT]), "pdf"),
    (samples.docx_bytes([samples.HONEST_TEXT]), "docx"),
    (samples.odt_bytes([samples.HONEST_TEXT]), "odt"),
    (samples.HONEST_TEXT.encode(), "txt"),
    (samples.HONEST_TEXT.encode("gb18030"), "txt"),
    ("\ufeff技能".encode(), "txt"),
])
def test_documents_are_typed_by_their_first_bytes(data: bytes, code: str) -> None:
    found = sniff_document(data[: media_types.SNIFF_BYTES])
    assert not isinstance(found, Refusal)
    assert found.code == code
    assert found.kind == media_types.DOCUMENT


@pytest.mark.parametrize(("data", "why"), [
    (b"", "empty"),
    (_jpeg(), "media"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "legacy_office"),
    (bytes(range(256)) * 8, "unsupported"),
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "unsupported"),
])
def test_what_is_no_document_is_refused_at_the_first_bytes(data: bytes, why: str) -> None:
    found = sniff_document(data)
    assert isinstance(found, Refusal)
    assert found.why == why


def test_document_types_match_the_database_enum() -> None:
    from service.db.reporting import DocumentType

    assert {t.code for t in media_types.DOCUMENT_TYPES} == {t.value for t in DocumentType}


def test_chinese_text_and_pages_come_out(tmp_path: Path) -> None:
    cases = {
        "pdf": samples.pdf_bytes([samples.HONEST_TEXT, samples.PHONE_TEXT]),
        "docx": samples.docx_bytes([samples.HONEST_TEXT, samples.PHONE_TEXT]),
        "odt": samples.odt_bytes([samples.HONEST_TEXT, samples.PHONE_TEXT]),
        "txt": f"{samples.HONEST_TEXT}\n{samples.PHONE_TEXT}\n".encode("gb18030"),
    }
    for kind, data in cases.items():
        path = tmp_path / kind
        path.write_bytes(data)
        found = inspect_file(path, LIMITS)
        assert found.doc_type == kind
        assert "职业教育活动周" in found.text, kind
        assert "13812345678" in found.text, kind
        assert found.thumbnail is not None, kind
    pdf = tmp_path / "pdf"
    assert inspect_file(pdf, LIMITS).pages == 2
    assert inspect_file(pdf, LIMITS).pages_text[1].startswith("报名咨询电话")


def test_a_harmless_open_action_is_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "goto.pdf"
    path.write_bytes(samples.pdf_bytes([samples.HONEST_TEXT], catalog_extra="/OpenAction [6 0 R /Fit] "))
    assert inspect_file(path, LIMITS).pages == 1


# the inflation bomb is left to the limited child (tests/security/test_hostile_media.py): here it would take memory
IN_PROCESS = [item for item in samples.hostile_documents() if item.code != "document_too_complex"]


@pytest.mark.parametrize("item", IN_PROCESS, ids=[item.name for item in IN_PROCESS])
def test_each_hostile_document_gets_its_own_reason(item: samples.HostileDocument, tmp_path: Path) -> None:
    path = tmp_path / "original"
    path.write_bytes(item.data)
    with pytest.raises(DocumentRejected) as refused:
        inspect_file(path, LIMITS)
    assert refused.value.code == item.code, refused.value
    assert item.code in REASONS


def test_limits_are_the_campaigns(tmp_path: Path) -> None:
    path = tmp_path / "original"
    path.write_bytes(samples.pdf_bytes([samples.HONEST_TEXT] * 4))
    with pytest.raises(DocumentRejected) as refused:
        inspect_file(path, Limits(max_bytes=50 * 1024**2, max_pages=3))
    assert refused.value.code == "document_too_many_pages"
    with pytest.raises(DocumentRejected) as refused:
        inspect_file(path, Limits(max_bytes=1000, max_pages=300))
    assert refused.value.code == "document_too_large"


def test_reject_codes_have_both_languages() -> None:
    for code, (zh, en) in REASONS.items():
        assert code.startswith("document_")
        assert zh != en, code
        assert "" not in (zh, en), code
    with pytest.raises(ValueError, match="unknown"):
        DocumentRejected("document_whatever")
