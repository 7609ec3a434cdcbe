"""Small, valid photos and videos generated in code, made unique per upload without re-encoding.

The load must not read ../shared/media; a small pool is rendered once (Pillow, ffmpeg) and every upload gets
distinct bytes by inserting a harmless unique marker (a JPEG COM segment, a PNG tEXt chunk, an MP4 ``free`` box), so
sha256 duplicates never blur the audit.
"""

from __future__ import annotations

import io
import random
import struct
import subprocess
import tempfile
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw


@dataclass(frozen=True)
class Sample:
    """One generated file: its bytes, a file name and its kind (``image`` or ``video``)."""

    name: str
    kind: str
    data: bytes
    seconds: float = 0.0


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def photo(width: int, height: int, seed: int, fmt: str = "JPEG") -> bytes:
    """A photo-like picture: gradient, shapes and a little noise so encoders and hashes have real content."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(width // 2 + 1), y0 + rng.randrange(height // 2 + 1)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return out.getvalue()


def video(seconds: float, width: int = 320, height: int = 240, seed: int = 0, audio: bool = True) -> bytes:
    """An H.264/AAC MP4 from ffmpeg's test sources (a few tens of kB per second at this size)."""
    with tempfile.TemporaryDirectory(prefix="md-load-") as tmp:
        out = Path(tmp) / "clip.mp4"
        pattern = ("testsrc2", "smptebars", "rgbtestsrc", "mandelbrot")[seed % 4]
        args = [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"{pattern}=size={width}x{height}:rate=25",
                "-t", str(seconds)]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=frequency={300 + 40 * seed}:sample_rate=44100", "-t", str(seconds)]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        args += ["-c:a", "aac", "-b:a", "64k"] if audio else []
        args += ["-movflags", "+faststart", "-y", str(out)]
        subprocess.run(args, check=True, timeout=120, stdin=subprocess.DEVNULL)
        return out.read_bytes()


def pool(photos: int = 12, videos: int = 3, video_seconds: float = 2.0) -> list[Sample]:
    """A mixed pool: JPEG and PNG photos of a few sizes and short MP4 clips."""
    samples: list[Sample] = []
    sizes = [(640, 480), (800, 600), (480, 640), (1024, 768)]
    for i in range(photos):
        width, height = sizes[i % len(sizes)]
        fmt = "PNG" if i % 6 == 5 else "JPEG"
        samples.append(Sample(f"photo-{i}.{'png' if fmt == 'PNG' else 'jpg'}", "image", photo(width, height, i, fmt)))
    for i in range(videos):
        # 640×360: the campaigns' default minimum (short side ≥ 360 px), so videos go all the way through.
        samples.append(Sample(f"clip-{i}.mp4", "video", video(video_seconds, 640, 360, seed=i), video_seconds))
    return samples


def unique_copy(sample: Sample, marker: str | None = None) -> bytes:
    """``sample``'s bytes with a unique, format-legal marker inserted: a new sha256, the same picture."""
    tag = (marker or uuid.uuid4().hex).encode()
    data = sample.data
    if data[:2] == b"\xff\xd8":  # JPEG: a COM segment right after SOI
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + data[2:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":  # PNG: a tEXt chunk before IEND
        body = b"Comment\x00" + tag
        chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
        return data[:-12] + chunk + data[-12:]
    # ISO BMFF (MP4/MOV): a trailing top-level ``free`` box is ignored by every reader.
    return data + struct.pack(">I", len(tag) + 8) + b"free" + tag
