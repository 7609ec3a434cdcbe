"""tus header parsing, filename sanitising and magic-byte sniffing: pure functions, no servers."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.core.errors import Problem
from service.db.asset import AssetKind
from service.ingest.filenames import MAX_NAME_BYTES, display_filename, sanitize_filename
from service.ingest.sniff import Sniffed, Unsupported, sniff
from service.ingest.tus_protocol import parse_checksum, parse_length, parse_metadata, upload_metadata
from tests.support import media_bytes, tus_metadata


def test_metadata_round_trip_with_chinese_and_empty_values() -> None:
    header = tus_metadata(submission_id="abc", filename="技能展示 01.jpg") + ",is_confidential"
    assert parse_metadata(header) == {"submission_id": "abc", "filename": "技能展示 01.jpg", "is_confidential": ""}


@pytest.mark.parametrize("header", ["filename", "filename ***", "a b c", "a YQ==,a YQ==", " YQ==", "k\u00e9y YQ==",
                                   "filename " + base64.b64encode(b"\xff\xfe").decode()])
def test_malformed_metadata_is_400(header: str) -> None:
    if header == "filename":
        assert parse_metadata(header) == {"filename": ""}
        return
    with pytest.raises(Problem) as caught:
        parse_metadata(header)
    assert (caught.value.status, caught.value.code) == (400, "invalid_metadata")


def test_upload_metadata_requires_submission_and_filename() -> None:
    with pytest.raises(Problem, match="missing_submission_id"):
        upload_metadata(tus_metadata(filename="a.jpg"))
    with pytest.raises(Problem, match="missing_filename"):
        upload_metadata(tus_metadata(submission_id="x"))
    with pytest.raises(Problem, match="invalid_sha256"):
        upload_metadata(tus_metadata(submission_id="x", filename="a", sha256="12"))
    meta = upload_metadata(tus_metadata(submission_id="x", name="a.jpg", sha256="A" * 64, filetype="image/jpeg"))
    assert (meta.filename, meta.sha256, meta.filetype) == ("a.jpg", "a" * 64, "image/jpeg")


@pytest.mark.parametrize("value", ["-1", "1.5", "", "1e3", "１２", "99999999999999999999"])
def test_lengths_must_be_plain_non_negative_integers(value: str) -> None:
    with pytest.raises(Problem):
        parse_length(value, "Upload-Length")
    assert parse_length(" 42 ", "Upload-Length") == 42


def test_checksum_header() -> None:
    digest = hashlib.sha256(b"x").digest()
    assert parse_checksum("sha256 " + base64.b64encode(digest).decode()) == digest
    assert parse_checksum(None) is None
    short = "sha256 " + base64.b64encode(b"1").decode()
    for bad in ("md5 " + base64.b64encode(b"0" * 16).decode(), "sha256 ???", short):
        with pytest.raises(Problem):
            parse_checksum(bad)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\张三\\Desktop\\开幕式.JPG", "开幕式.JPG"),
    ("..", "file"),
    ("", "file"),
    ("   ", "file"),
    (".hidden.jpg", "hidden.jpg"),
    ("a\x00b\x1b[31mc.jpg", "ab[31mc.jpg".replace("[", "_")),
    ("photo\u202egpj.exe", "photogpj.exe"),
    ("a<b>c:d|e?.jpg", "a_b_c_d_e_.jpg"),
    ("tab\tand\nnewline.jpg", "tabandnewline.jpg"),
])
def test_sanitize_filename_examples(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def test_long_names_keep_their_extension() -> None:
    name = "职业教育" * 100 + ".jpeg"
    cleaned = sanitize_filename(name)
    assert cleaned.endswith(".jpeg")
    assert len(cleaned.encode()) <= MAX_NAME_BYTES


@given(st.text(max_size=400))
def test_sanitized_names_are_always_one_safe_component(name: str) -> None:
    cleaned = sanitize_filename(name)
    assert cleaned
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert cleaned not in (".", "..")
    assert not cleaned.startswith(".")
    assert all(ch.isprintable() for ch in cleaned)
    assert len(cleaned.encode()) <= MAX_NAME_BYTES
    assert sanitize_filename(cleaned) == cleaned  # idempotent
    assert "\x00" not in display_filename(name)


@pytest.mark.parametrize(("head", "mime", "kind"), [
    (media_bytes(64, "jpeg"), "image/jpeg", AssetKind.image),
    (media_bytes(64, "png"), "image/png", AssetKind.image),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", AssetKind.image),
    (b"II*\x00" + b"\x00" * 20, "image/tiff", AssetKind.image),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic", AssetKind.image),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif", AssetKind.image),
    (media_bytes(64, "mp4"), "video/mp4", AssetKind.video),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video/quicktime", AssetKind.video),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm", AssetKind.video),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska", AssetKind.video),
    (b"RIFF\x00\x00\x00\x00AVI LIST", "video/x-msvideo", AssetKind.video),
    (b"\x00\x00\x01\xba" + b"\x00" * 20, "video/mpeg", AssetKind.video),
    ((b"\x47" + b"\x00" * 187) * 3, "video/mp2t", AssetKind.video),
])
def test_accepted_types_are_recognised_by_content(head: bytes, mime: str, kind: AssetKind) -> None:
    assert sniff(head) == Sniffed(mime, kind)


@pytest.mark.parametrize("head", [b"PK\x03\x04zip", b"GIF89a", b"%PDF-1.4", b"<html>", b"hello world\n",
                                  b"RIFF\x00\x00\x00\x00WAVEfmt ", b"\x00\x01\x02\x03\x04garbage", b""])
def test_everything_else_is_refused_with_a_reason(head: bytes) -> None:
    result = sniff(head)
    assert isinstance(result, Unsupported)
    assert result.zh
    assert result.en
