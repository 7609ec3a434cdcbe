"""Probe and ffmpeg runner without servers: typing by content, every rejection reason, runner hardening."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import media_samples as media
from workers import ffmpeg as runner
from workers.image_probe import probe_image
from workers.rejections import Rejected
from workers.sniff import sniff
from workers.steps import image as image_renditions
from workers.steps.video import output_fps, output_size
from workers.video_probe import probe_video


def _probe(tmp_path: Path, data: bytes, name: str = "upload.bin") -> object:
    path = tmp_path / name
    path.write_bytes(data)
    found = sniff(path)
    return probe_image(path) if found.kind == "image" else probe_video(path, found.ffmpeg_format or "")


def _reason(tmp_path: Path, data: bytes) -> str:
    with pytest.raises(Rejected) as caught:
        _probe(tmp_path, data)
    assert " / " in caught.value.detail  # zh-CN first, then English
    return caught.value.code


@pytest.mark.parametrize(("fmt", "size"), [("JPEG", (240, 320)), ("WEBP", (240, 320)), ("TIFF", (240, 320)),
                                           ("HEIF", (240, 320)), ("MPO", (240, 320)), ("PNG", (320, 240))])
def test_photos_are_typed_by_content_in_display_orientation(tmp_path: Path, fmt: str, size: tuple[int, int]) -> None:
    probe = _probe(tmp_path, media.image_bytes(fmt, orientation=6, gps=True), "named-wrong.mp4")
    assert (probe.width, probe.height) == size  # type: ignore[attr-defined]


def test_jpeg_metadata(tmp_path: Path) -> None:
    probe = _probe(tmp_path, media.image_bytes("JPEG", orientation=6, gps=True))
    assert probe.gps == pytest.approx((36.67009, 117.0), abs=1e-4)  # type: ignore[attr-defined]
    assert probe.info["camera_model"] == "TestCam 1"  # type: ignore[attr-defined]
    assert probe.capture_time.isoformat() == "2023-05-15T10:30:00+08:00"  # type: ignore[attr-defined]


def test_rotated_video_reports_display_size(tmp_path: Path) -> None:
    probe = _probe(tmp_path, media.video_bytes("mov", rotation=90))
    assert (probe.width, probe.height, probe.rotation) == (240, 320, 90)  # type: ignore[attr-defined]
    assert probe.info["audio"][0]["codec"] == "aac"  # type: ignore[attr-defined]


@pytest.mark.parametrize(("make", "code"), [
    (lambda: media.truncated(media.image_bytes("JPEG", 640, 480)), "corrupt_image"),
    (lambda: media.truncated(media.image_bytes("HEIF", 640, 480)), "corrupt_image"),
    (lambda: media.truncated(media.image_bytes("HEIF", 640, 480), 0.99), "corrupt_image"),  # only mdat's end lost
    (lambda: media.truncated(media.image_bytes("MPO", 640, 480), 0.8), "corrupt_image"),
    (lambda: media.truncated(media.video_bytes("mp4", seconds=3), 0.5), "truncated_video"),
    (lambda: media.truncated(media.video_bytes("mp4", faststart=False)), "corrupt_video"),
    (media.bomb_gif, "unsupported_format"),  # GIF is refused by type before any decoder opens it
    (media.bomb_png, "image_too_large"),
    (media.audio_only_mp4, "no_video_stream"),
    (media.jpeg_zip_polyglot, "polyglot_file"),
    (lambda: media.HLS_PLAYLIST, "playlist_refused"),
    (lambda: media.HLS_LOCAL, "playlist_refused"),
    (lambda: media.CONCAT_LIST, "playlist_refused"),
    (lambda: b"", "empty_file"),
    (lambda: b"just some notes\n", "not_media"),
    (lambda: b"\x00\x01\x02\x03" * 100, "unsupported_format"),
])
def test_each_broken_kind_has_its_reason(tmp_path: Path, make: object, code: str) -> None:
    assert _reason(tmp_path, make()) == code  # type: ignore[operator]


def test_a_whole_heif_is_probed_without_decoding_and_a_trailer_after_it_is_no_truncation(tmp_path: Path) -> None:
    """A HEIF's truncation is read from its boxes (no decode: ≈ 0.4 s for a 12 MP HEIC); bytes some writers append
    after the last box do not make a whole image "corrupt", and the image is still rendered."""
    from workers import image_probe

    whole = tmp_path / "whole.heic"
    whole.write_bytes(media.image_bytes("HEIF", 640, 480) + b"\x00\x00\x10\x00SEFTtrailer of a phone app")
    assert image_probe._boxes_complete(whole)
    probe = _probe(tmp_path, whole.read_bytes())
    assert (probe.width, probe.height) == (640, 480)  # type: ignore[attr-defined]
    assert {w.spec.name for w in image_renditions.render(whole, tmp_path)} >= {"thumb", "preview"}


def test_derivatives_carry_no_exif(tmp_path: Path) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(media.image_bytes("JPEG", 640, 480, orientation=3, gps=True))
    written = image_renditions.render(source, tmp_path)
    assert {w.spec.name for w in written} == {"thumb", "thumb_webp", "preview", "preview_webp", "web", "web_webp"}
    from PIL import Image

    for item in written:
        with Image.open(item.path) as derivative:
            assert not derivative.getexif(), item.spec.name
            assert derivative.size == (item.width, item.height)


def test_output_sizes_never_upscale_and_stay_even() -> None:
    assert output_size(1920, 1080, 720) == (1280, 720)
    assert output_size(1080, 1920, 720) == (720, 1280)  # vertical stays vertical
    assert output_size(320, 240, 1080) == (320, 240)
    assert output_size(641, 361, 360) == (640, 360)
    assert output_fps(29.97, 30) == "30000/1001"
    assert output_fps(59.94, 30) == "30"


def test_runner_refuses_playlists_and_non_files(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("ffconcat version 1.0\nfile '/etc/passwd'\n")
    for fmt in ("concat", "hls", "lavfi", "image2"):
        with pytest.raises(ValueError, match="not allowed"):
            runner.safe_input(listing, fmt)
    with pytest.raises(ValueError, match="not a local file"):
        runner.safe_input(tmp_path / "missing.mp4", "mov")


def test_runner_kills_on_timeout_and_keeps_stderr(tmp_path: Path) -> None:
    endless = [runner.ffmpeg_binary(), "-hide_banner", "-nostdin", "-progress", "pipe:1", "-f", "lavfi", "-re",
               "-i", "testsrc2=size=64x64:rate=5", "-f", "null", "-"]
    started = time.monotonic()
    with pytest.raises(runner.FfmpegError, match="timed out"):
        runner.run(endless, timeout=1.5)
    assert time.monotonic() - started < 60  # returned: the process was killed, not waited for
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(media.truncated(media.video_bytes("mp4", faststart=False)))
    args = runner.command(runner.safe_input(broken, "mov").output(str(tmp_path / "out.mp4")))
    with pytest.raises(runner.FfmpegError) as failed:
        runner.run(args, timeout=60)
    assert "moov atom not found" in failed.value.tail or "Invalid data" in failed.value.tail


def test_runner_reports_progress(tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    source.write_bytes(media.video_bytes("mp4", seconds=1.5))
    seen: list[float] = []
    args = runner.command(runner.safe_input(source, "mov").output(str(tmp_path / "out.mp4"), vcodec="libx264",
                                                                  preset="ultrafast"))
    runner.run(args, timeout=120, duration=1.5, on_progress=seen.append)
    assert seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)


def test_runner_kills_ffmpeg_when_the_step_is_interrupted() -> None:
    """Celery's soft time limit (and revoke) raise inside the waiting thread: the ffmpeg process must go too."""
    import signal

    class Interrupted(Exception):
        pass

    def interrupt(*_: object) -> None:
        raise Interrupted

    marker = "testsrc2=size=62x46:rate=5"  # a size nothing else uses, to find the process in /proc
    endless = [runner.ffmpeg_binary(), "-hide_banner", "-nostdin", "-f", "lavfi", "-re", "-i", marker, "-f", "null",
               "-"]
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.5)
    try:
        with pytest.raises(Interrupted):
            runner.run(endless, timeout=120)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    alive = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                status = (proc / "status").read_text()
                if "State:\tZ" not in status:
                    alive.append(proc.name)
        except OSError:
            continue
    assert alive == []
