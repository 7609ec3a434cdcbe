"""Generated media for tests (tests never read /work/shared/media): photo-like images, banners with Chinese text,
a QR code with a phone number, and small H.264 videos with chosen scenes, black segments and silence."""

from __future__ import annotations

import io
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font(size: int) -> ImageFont.FreeTypeFont | None:
    """A font that draws Chinese, or None (tests that need one skip with the reason)."""
    for path in CJK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    first = found.split(":")[0].strip() if found.strip() else ""
    return ImageFont.truetype(first, size) if first else None


def photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like image: smooth random colour fields with shapes, distinct per seed."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        r = int(rng.integers(20, 120))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x - r, y - r, x + r, y + r), fill=colour)
    return image.filter(ImageFilter.GaussianBlur(1.5))


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def banner(text: str, size: tuple[int, int] = (960, 400), font_size: int = 64) -> Image.Image | None:
    font = cjk_font(font_size)
    if font is None:
        return None
    image = Image.new("RGB", size, (190, 20, 30))
    ImageDraw.Draw(image).text((40, size[1] // 2 - font_size // 2), text, font=font, fill=(255, 240, 200))
    return image


def qr_with_phone(payload: str = "https://shop.example.com/buy?id=42", phone: str = "13812345678") -> Image.Image:
    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    code = Image.open(buffer).convert("RGB")
    image = Image.new("RGB", (900, 520), "white")
    image.paste(code, (40, 40))
    font = ImageFont.load_default(size=56)
    ImageDraw.Draw(image).text((420, 220), phone, font=font, fill="black")
    return image


def video(path: Path, scenes: list[tuple[float, Image.Image | None]], *, fps: int = 10,
          size: tuple[int, int] = (320, 240), tone: bool = True) -> Path:
    """An H.264 MP4: each scene is (seconds, still image or None for black); slow drift keeps frames alive.
    With ``tone`` an AAC 440 Hz tone plays except during black scenes (which are silent)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        audio = container.add_stream("aac", rate=16000) if tone else None
        if audio is not None:
            audio.layout = "mono"
        frame_index = 0
        samples_done = 0
        for seconds, still in scenes:
            base = (still or Image.new("RGB", size, "black")).convert("RGB").resize(
                (size[0] + 40, size[1] + 40))
            for i in range(int(seconds * fps)):
                shift = (i % 40) if still is not None else 0
                frame = av.VideoFrame.from_image(base.crop((shift, 0, shift + size[0], size[1])))
                frame.pts = frame_index
                frame.time_base = Fraction(1, fps)
                frame_index += 1
                container.mux(stream.encode(frame))
            if audio is not None:
                count = int(seconds * 16000)
                t = (np.arange(samples_done, samples_done + count) / 16000).astype(np.float32)
                wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32) if still is not None else \
                    np.zeros(count, np.float32)
                for start in range(0, count, 1024):
                    chunk = wave[start:start + 1024].reshape(1, -1)
                    aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                    aframe.sample_rate = 16000
                    aframe.pts = samples_done + start
                    for packet in audio.encode(aframe):
                        container.mux(packet)
                samples_done += count
        container.mux(stream.encode())
        if audio is not None:
            container.mux(audio.encode())
    return path


def _plate(image: Image.Image, text: str, xy: tuple[int, int], size: int, fill: str = "white",
           ink: str = "black") -> Image.Image:
    font = cjk_font(size)
    if font is None:
        raise RuntimeError("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox(xy, text, font=font)
    pad = size // 3
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=fill)
    draw.text(xy, text, font=font, fill=ink)
    return image


def with_qr(image: Image.Image, payload: str = "https://shop.example.com/buy?id=7") -> Image.Image:
    import segno

    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=6, border=4)
    code = Image.open(buffer).convert("RGB")
    image.paste(code, (image.width - code.width - 30, image.height - code.height - 30))
    return image


#: Promotion overlays by the vocabulary code screening must report for them (CJK text, wqy-zenhei or Noto CJK).
PROMOTION_OVERLAYS = {
    "qr": lambda image: with_qr(image),
    "phone": lambda image: _plate(image, "报名咨询 13812345678", (60, image.height - 140), 56),
    "price": lambda image: _plate(image, "特价 ¥199", (60, 60), 64, fill="yellow", ink="red"),
    "watermark": lambda image: _plate(image, "抖音号：jineng2023", (image.width - 560, image.height - 110), 44,
                                      fill="black", ink="white"),
}
#: The week's own banner: public-interest text no promotion filter may match.
WEEK_BANNER = "职业教育活动周 技能：让生活更美好"


def week_banner_photo(seed: int, size: tuple[int, int] = (1280, 960)) -> Image.Image:
    image = photo(seed, size)
    strip = banner(WEEK_BANNER, (size[0], 180), 72)
    if strip is None:
        raise RuntimeError("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")
    image.paste(strip, (0, 40))
    return image
