"""One table of file types: the upload API and the workers give every file the same verdict.

Real files made in code (Pillow, ffmpeg): each goes through the API's sniffer (what a tus upload sees) and the
workers' sniffer + probe (what the pipeline sees); both accept it as the same kind and MIME type, or both refuse it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from service.core import media_types
from service.ingest.sniff import Sniffed as ApiSniffed
from service.ingest.sniff import Unsupported
from service.ingest.sniff import sniff as api_sniff
from tests import media_samples as media
from workers.image_probe import probe_image
from workers.rejections import Rejected
from workers.sniff import sniff as worker_sniff
from workers.sniff import sniff_head
from workers.video_probe import probe_video


def _avif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (20, 120, 200)).save(buffer, "AVIF")
    return buffer.getvalue()


def _zip() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("photo.jpg", media.image_bytes("JPEG"))
    return archive.getvalue()


#: sample name -> (bytes, expected media type code or None when refused)
ACCEPTED: dict[str, tuple[Callable[[], bytes], str]] = {
    "jpeg": (lambda: media.image_bytes("JPEG"), "jpeg"),
    "mpo": (lambda: media.image_bytes("MPO"), "jpeg"),
    "png": (lambda: media.image_bytes("PNG"), "png"),
    "heic": (lambda: media.image_bytes("HEIF"), "heic"),
    "avif": (_avif, "avif"),
    "webp": (lambda: media.image_bytes("WEBP"), "webp"),
    "tiff": (lambda: media.image_bytes("TIFF"), "tiff"),
    "mp4": (lambda: media.video_bytes("mp4"), "mp4"),
    "mov": (lambda: media.video_bytes("mov"), "quicktime"),
    "webm": (lambda: media.video_bytes("webm"), "webm"),
    "mkv": (lambda: media.video_bytes("mkv"), "matroska"),
    "avi": (lambda: media.video_bytes("avi"), "avi"),
    "mpeg_ps": (lambda: media.video_bytes("mpeg"), "mpeg-ps"),
    "mpeg_ts": (lambda: media.video_bytes("ts"), "mpeg-ts"),
    "mts_camcorder": (lambda: media.video_bytes("mts"), "mpeg-ts"),
}
REFUSED: dict[str, Callable[[], bytes]] = {
    "gif": media.gif_bytes,
    "gif_bomb": media.bomb_gif,
    "zip": _zip,
    "pdf": lambda: b"%PDF-1.7\n" + b"0" * 600,
    "text": lambda: "活动周 plain text\n".encode() * 40,
    "playlist": lambda: media.HLS_PLAYLIST,
    "empty": lambda: b"",
    "garbage": lambda: b"\x00\x01\x02\x03" * 300,
}


def test_every_accepted_type_has_a_sample_here() -> None:
    assert {code for _, code in ACCEPTED.values()} == set(media_types.BY_CODE)


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_both_sides_as_the_same_type(tmp_path: Path, name: str) -> None:
    make, code = ACCEPTED[name]
    data = make()
    expected = media_types.BY_CODE[code]
    api = api_sniff(data[: media_types.SNIFF_BYTES])
    assert api == ApiSniffed(expected.mime, expected.kind)  # type: ignore[arg-type]
    path = tmp_path / "original"
    path.write_bytes(data)
    worker = worker_sniff(path)
    assert (worker.kind, worker.container, worker.mime, worker.ffmpeg_format) == (
        expected.kind, expected.code, expected.mime, expected.demuxer)
    # ... and the worker's probe really processes it (MTS included: the demuxer is ffmpeg's mpegts)
    if worker.kind == "image":
        assert probe_image(path).mime == expected.mime
    else:
        probe = probe_video(path, worker.ffmpeg_format or "", worker.mime)
        assert (probe.mime, probe.width, probe.height) == (expected.mime, 320, 240)
        assert probe.duration > 1.0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_by_both_sides_with_the_same_reason(tmp_path: Path, name: str) -> None:
    data = REFUSED[name]()
    api = api_sniff(data[: media_types.SNIFF_BYTES])
    assert isinstance(api, Unsupported), name
    path = tmp_path / "original"
    path.write_bytes(data)
    with pytest.raises(Rejected) as caught:
        worker_sniff(path)
    with pytest.raises(Rejected) as at_verify:  # verify (first bytes only) gives the asset the same reason code
        sniff_head(data[: media_types.SNIFF_BYTES])
    assert at_verify.value.code == caught.value.code
    if name == "playlist":  # the worker reads further and names the danger
        assert caught.value.code == "playlist_refused"
    else:
        assert (caught.value.zh, caught.value.en) == (api.zh, api.en), name
    if name.startswith("gif"):  # one specific reason, never "unrecognised format" nor a decoder's bomb error
        assert "GIF" in api.en
        assert "GIF" in api.zh
        assert caught.value.code == "unsupported_format"


def test_unrecognised_format_lists_the_table() -> None:
    refusal = media_types.sniff(b"\x00\x01\x02\x03" * 300)
    assert isinstance(refusal, media_types.Refusal)
    for entry in media_types.TYPES:
        assert entry.label in refusal.en
        assert entry.label in refusal.zh


def test_the_pipeline_doc_lists_the_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "PIPELINE.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in doc.splitlines() if line.startswith("| ") and "`" in line}
    for entry in media_types.TYPES:
        row = next((r for label, r in rows.items() if label.split(" (")[0] == entry.label), None)
        assert row is not None, entry.label
        assert f"`{entry.mime}`" in row
        assert entry.demuxer is None or f"`{entry.demuxer}`" in row
