"""The pipeline end to end with a real worker process: generated photos and videos of every accepted format reach
``ready`` with upright renditions of the right size, and every kind of broken file ends ``rejected_invalid`` with
its own reason while the worker keeps working."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.db.org import Role
from tests import media_samples as media
from tests.integration.pipeline_checks import (
    IMAGE_RENDITIONS,
    VIDEO_RENDITIONS,
    derived_keys,
    image_of,
    is_red,
    video_facts,
    wait_terminal,
)
from tests.support import SMALL_MEDIA_LIMITS, ChildProcess, make_actor, make_asset, make_campaign

pytestmark = pytest.mark.timeout(900)



def _photos() -> dict[str, tuple[str, bytes]]:
    return {
        "jpeg_rotated_gps": ("相机.jpg", media.image_bytes("JPEG", orientation=6, gps=True)),
        "png": ("scan.png", media.image_bytes("PNG")),
        "webp": ("photo.webp", media.image_bytes("WEBP", orientation=6)),
        "tiff_rotated": ("photo.tif", media.image_bytes("TIFF", orientation=6)),
        "heic_rotated": ("IMG_0001.HEIC", media.image_bytes("HEIF", orientation=6, gps=True)),
        "mpo": ("stereo.mpo", media.image_bytes("MPO")),
    }


def _videos() -> dict[str, tuple[str, bytes]]:
    return {
        "mp4": ("clip.mp4", media.video_bytes("mp4")),
        "mov_rotated": ("IMG_0002.MOV", media.video_bytes("mov", rotation=90)),
        "vertical": ("vertical.mp4", media.video_bytes("mp4", 240, 320)),
        "webm": ("clip.webm", media.video_bytes("webm")),
        "mkv": ("clip.mkv", media.video_bytes("mkv")),
        "avi": ("clip.avi", media.video_bytes("avi", audio=True)),
        "mpeg_ps": ("clip.mpg", media.video_bytes("mpeg")),
        "mts_camcorder": ("00001.MTS", media.video_bytes("mts")),
        "mp4_named_jpg": ("not-a-photo.jpg", media.video_bytes("mp4", seconds=1.2)),
        "silent": ("silent.mp4", media.video_bytes("mp4", audio=False)),
    }


def test_every_accepted_format_reaches_ready(worker: ChildProcess, client: TestClient) -> None:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    samples = {**_photos(), **_videos()}
    ids = {name: make_asset(alice, campaign, data, filename) for name, (filename, data) in samples.items()}
    rows = wait_terminal(list(ids.values()))
    statuses = {name: (rows[i]["status"], rows[i]["reason"]) for name, i in ids.items()}
    assert all(status == "ready" for status, _ in statuses.values()), statuses

    for name in _photos():
        row = rows[ids[name]]
        assert set(row["renditions"]) == IMAGE_RENDITIONS, name  # type: ignore[arg-type]
    # EXIF orientation 6 (stored 320×240): renditions are upright 240×320, the red corner moved to the top right.
    for name in ("jpeg_rotated_gps", "heic_rotated", "webp", "tiff_rotated"):
        row = rows[ids[name]]
        assert (row["width"], row["height"]) == (240, 320), name
        thumb = image_of(row["renditions"]["thumb"].key)  # type: ignore[index]
        assert thumb.size == (240, 320), name
        assert is_red(thumb.convert("RGB").getpixel((thumb.width - 5, 5))), name
        assert not is_red(thumb.convert("RGB").getpixel((5, 5))), name
    # GPS is kept on the asset (from the original) but stripped from every derivative.
    assert rows[ids["jpeg_rotated_gps"]]["gps"] == pytest.approx(36.6701, abs=1e-3)
    for name in IMAGE_RENDITIONS:
        derivative = image_of(rows[ids["jpeg_rotated_gps"]]["renditions"][name].key)  # type: ignore[index]
        exif = derivative.getexif()
        assert not exif.get_ifd(0x8825), name
        assert 0x010F not in exif, name

    for name in _videos():
        row = rows[ids[name]]
        assert set(row["renditions"]) == VIDEO_RENDITIONS, name  # type: ignore[arg-type]
        proxy = video_facts(row["renditions"]["proxy_720p"].key)  # type: ignore[index]
        assert proxy["codec"] == "h264", (name, proxy)
        assert proxy["faststart"], (name, proxy)
        assert proxy["rotation"] == 0, (name, proxy)
        assert proxy["audio"] == (None if name == "silent" else "aac"), name
        expected = (240, 320) if name in ("mov_rotated", "vertical") else (320, 240)  # never upscaled, upright
        assert (proxy["width"], proxy["height"]) == expected, (name, proxy)
        assert (row["width"], row["height"]) == expected, name
        poster = image_of(row["renditions"]["poster"].key)  # type: ignore[index]
        assert poster.size == expected, name
    assert rows[ids["mov_rotated"]]["probe"]["rotation"] == 90  # type: ignore[index]
    hls_keys = [k for k in derived_keys(ids["mp4"]) if "/hls/" in k]
    assert any(k.endswith("master.m3u8") for k in hls_keys)
    assert any(k.endswith(".ts") for k in hls_keys)


BROKEN: dict[str, tuple[str, str]] = {
    # name: (filename, expected reason code)
    "truncated_jpeg": ("photo.jpg", "corrupt_image"),
    "truncated_heic": ("photo.heic", "corrupt_image"),
    "truncated_mp4_with_moov": ("clip.mp4", "truncated_video"),
    "truncated_mp4_without_moov": ("clip.mp4", "corrupt_video"),
    "bomb_gif": ("bomb.gif", "unsupported_format"),  # GIF refused by type, before decoding
    "bomb_png_1bit_20000": ("big.png", "image_too_large"),
    "audio_only_mp4": ("song.mp4", "no_video_stream"),
    "jpeg_zip_polyglot": ("photo.jpg", "polyglot_file"),
    "hls_playlist_url": ("video.m3u8", "playlist_refused"),
    "hls_playlist_local": ("video.mp4", "playlist_refused"),
    "concat_list": ("list.txt", "playlist_refused"),
    "empty": ("empty.jpg", "empty_file"),
    "too_small": ("tiny.jpg", "resolution_too_low"),
    "too_short": ("short.mp4", "video_too_short"),
}


def _broken_bytes(name: str) -> bytes:
    return {
        "truncated_jpeg": lambda: media.truncated(media.image_bytes("JPEG", 640, 480)),
        "truncated_heic": lambda: media.truncated(media.image_bytes("HEIF", 640, 480)),
        "truncated_mp4_with_moov": lambda: media.truncated(media.video_bytes("mp4", seconds=3), 0.5),
        "truncated_mp4_without_moov": lambda: media.truncated(media.video_bytes("mp4", faststart=False)),
        "bomb_gif": media.bomb_gif,
        "bomb_png_1bit_20000": media.bomb_png,
        "audio_only_mp4": media.audio_only_mp4,
        "jpeg_zip_polyglot": media.jpeg_zip_polyglot,
        "hls_playlist_url": lambda: media.HLS_PLAYLIST,
        "hls_playlist_local": lambda: media.HLS_LOCAL,
        "concat_list": lambda: media.CONCAT_LIST,
        "empty": lambda: b"",
        "too_small": lambda: media.image_bytes("JPEG", 64, 48),
        "too_short": lambda: media.video_bytes("mp4", seconds=0.2),
    }[name]()


def test_broken_files_are_rejected_with_their_reason(worker: ChildProcess, client: TestClient) -> None:
    campaign = make_campaign(**SMALL_MEDIA_LIMITS)
    alice = make_actor(Role.submitter)
    ids = {name: make_asset(alice, campaign, _broken_bytes(name), filename)
           for name, (filename, _) in BROKEN.items()}
    rows = wait_terminal(list(ids.values()))
    got = {name: (rows[i]["status"], rows[i]["reason_code"]) for name, i in ids.items()}
    assert got == {name: ("rejected_invalid", code) for name, (_, code) in BROKEN.items()}
    for asset_id in ids.values():  # the submitter sees a bilingual reason through the API
        body = client.get(f"/api/v1/assets/{asset_id}", headers=alice.headers).json()
        assert body["reason"]["detail"].count(" / ") >= 1
        assert body["renditions"] == []
    # The worker survived all of that and still processes good files.
    assert worker.proc is not None
    assert worker.proc.poll() is None
    good = make_asset(alice, campaign, media.image_bytes("JPEG"), "ok.jpg")
    assert wait_terminal([good])[good]["status"] == "ready"


def test_campaign_duration_limit(worker: ChildProcess) -> None:
    campaign = make_campaign(**{**SMALL_MEDIA_LIMITS, "max_video_seconds": 1.0})
    alice = make_actor(Role.submitter)
    asset = make_asset(alice, campaign, media.video_bytes("mp4", seconds=2.5), "long.mp4")
    row = wait_terminal([asset])[asset]
    assert (row["status"], row["reason_code"]) == ("rejected_invalid", "video_too_long")
    assert "2.5" in str(row["reason"]) or "3" in str(row["reason"])


