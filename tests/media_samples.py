"""Tiny media made in code for tests (the suite must not read ../shared/media): photos of every accepted format,
videos of every accepted container (incl. rotated and vertical), and each kind of broken file we must refuse."""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
import zipfile
import zlib
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg
import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()

GPS_LAT = (Fraction(36), Fraction(40), Fraction(1234, 100))  # 济南 36°40'12.34" N


def _picture(width: int, height: int) -> Image.Image:
    """An asymmetric picture: a red block in the top-left corner shows where "up" ended up."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 4), fill=(230, 30, 30))
    draw.ellipse((width // 2, height // 2, width - 10, height - 10), fill=(250, 220, 60))
    return image


def _exif(orientation: int = 1, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "TestMake", "TestCam 1", orientation
    exif.get_ifd(0x8769)[0x9003] = "2023:05:15 10:30:00"
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1], gps_ifd[2], gps_ifd[3], gps_ifd[4] = "N", GPS_LAT, "E", (Fraction(117), Fraction(0), Fraction(0))
    return exif


def image_bytes(fmt: str, width: int = 320, height: int = 240, orientation: int = 1, gps: bool = False) -> bytes:
    """``fmt``: JPEG, PNG, WEBP, TIFF, HEIF or MPO. Pixels are stored as given; ``orientation`` only tags them."""
    buffer = io.BytesIO()
    image = _picture(width, height)
    exif = _exif(orientation, gps)
    if fmt == "MPO":
        second = _picture(width, height).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        image.save(buffer, "MPO", save_all=True, append_images=[second], exif=exif)
    elif fmt == "PNG":
        image.save(buffer, "PNG")
    else:
        image.save(buffer, fmt, exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args],
                   check=True, timeout=120)


#: container -> (extension, video codec args, audio codec args)
VIDEO_FORMATS: dict[str, tuple[str, list[str], list[str]]] = {
    "mp4": ("mp4", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac"]),
    "mov": ("mov", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac"]),
    "webm": ("webm", ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"],
             ["-c:a", "libopus"]),
    "mkv": ("mkv", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], ["-c:a", "aac"]),
    "avi": ("avi", ["-c:v", "mpeg4", "-q:v", "5"], ["-c:a", "libmp3lame"]),
    "mpeg": ("mpg", ["-c:v", "mpeg2video", "-q:v", "5", "-f", "vob"], ["-c:a", "mp2"]),
    # AVCHD camcorder files (.MTS): H.264 + AC-3 in MPEG-TS with 192-byte (M2TS) packets
    "mts": ("mts", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts",
                    "-mpegts_m2ts_mode", "1"], ["-c:a", "ac3"]),
    "ts": ("ts", ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts"], ["-c:a", "aac"]),
}


@lru_cache(maxsize=64)
def video_bytes(container: str = "mp4", width: int = 320, height: int = 240, seconds: float = 1.5,
                rotation: int = 0, audio: bool = True, rate: int = 25, faststart: bool = True) -> bytes:
    """A test-pattern clip with a tone; ``rotation`` writes a display matrix (as phones do) on MP4/MOV."""
    ext, vcodec, acodec = VIDEO_FORMATS[container]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"clip.{ext}"
        args = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={rate}"]
        if audio:
            args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
        args += ["-t", str(seconds), *vcodec, *(acodec if audio else ["-an"])]
        if faststart and container in ("mp4", "mov"):
            args += ["-movflags", "+faststart"]
        ffmpeg(*args, str(out))
        if rotation:
            rotated = Path(tmp) / f"rotated.{ext}"
            ffmpeg("-display_rotation", str(rotation), "-i", str(out), "-c", "copy", str(rotated))
            out = rotated
        return out.read_bytes()


def audio_only_mp4() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audio.mp4"
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "1", "-c:a", "aac", str(out))
        return out.read_bytes()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A real 1-bit PNG of ``width``×``height`` (400 MP): ~50 KB on disk, 50 MB+ once decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def gif_bytes(width: int = 320, height: int = 240) -> bytes:
    buffer = io.BytesIO()
    _picture(width, height).save(buffer, "GIF")
    return buffer.getvalue()


def bomb_gif() -> bytes:
    """A GIF whose header claims 65535×65535 pixels (Pillow's decompression-bomb case)."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 0xFFFF, 0xFFFF, 0, 0, 0)
    descriptor = b"\x2c" + struct.pack("<HHHHB", 0, 0, 0xFFFF, 0xFFFF, 0)
    return screen + descriptor + b"\x02\x02\x44\x01\x00\x3b"


def jpeg_zip_polyglot() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.txt", "hidden")
    return image_bytes("JPEG", 640, 480) + archive.getvalue()


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    return data[: int(len(data) * keep)]


HLS_PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://example.invalid/segment0.ts\n#EXT-X-ENDLIST\n"
HLS_LOCAL = b"#EXTM3U\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n"
CONCAT_LIST = b"ffconcat version 1.0\nfile '/etc/passwd'\nfile 'http://example.invalid/x.mp4'\n"
