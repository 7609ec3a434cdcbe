"""Real media made in code for tests and benchmarks: JPEGs with Pillow, MP4s with the ffmpeg from imageio-ffmpeg."""

from __future__ import annotations

import io
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from PIL import Image


def jpeg_bytes(width: int = 320, height: int = 240, color: tuple[int, int, int] = (180, 40, 30),
               quality: int = 85) -> bytes:
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, 16):  # some structure so the encoder has real work
        image.paste((x % 255, 80, 200 - x % 200), (x, 0, x + 8, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@lru_cache(maxsize=4)
def mp4_bytes(seconds: float = 1.0, size: str = "320x240") -> bytes:
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "clip.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                        f"testsrc=size={size}:rate=10:duration={seconds}", "-c:v", "libx264", "-pix_fmt",
                        "yuv420p", "-movflags", "+faststart", str(target)], check=True, timeout=120)
        return target.read_bytes()
