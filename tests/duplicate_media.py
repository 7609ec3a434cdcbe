"""Code-built material for duplicate screening: a textured scene (corners for local features, structure for PDQ),
the copies people make of a photo (mirrored, turned without EXIF, off-centre crop, inside a phone screenshot, with a
white border, re-shot from a screen), a burst shot of the same scene, and panning videos cut anywhere."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from tests.screening_media import cjk_font, photo


def scene(seed: int, size: tuple[int, int] = (960, 720)) -> Image.Image:
    """A photo-like scene with plenty of corners: colour fields, shapes and a scatter of small marks."""
    image = photo(seed, size)
    rng = np.random.default_rng(seed + 1000)
    draw = ImageDraw.Draw(image)
    for _ in range(220):
        x, y = int(rng.integers(0, size[0])), int(rng.integers(0, size[1]))
        r = int(rng.integers(3, 14))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.rectangle((x, y, x + r, y + 2 * r), fill=colour)
        else:
            draw.line((x, y, x + int(rng.integers(-40, 40)), y + int(rng.integers(-40, 40))), fill=colour, width=2)
    return image


def figure(image: Image.Image, x: int, seed: int = 5) -> Image.Image:
    """``image`` with a person-sized figure standing at ``x`` (a burst shot moves it)."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    h = out.height
    rng = np.random.default_rng(seed)
    colour = tuple(int(v) for v in rng.integers(0, 255, 3))
    draw.ellipse((x, int(h * 0.2), x + 90, int(h * 0.2) + 90), fill=(230, 190, 160))
    draw.rectangle((x - 30, int(h * 0.2) + 90, x + 120, int(h * 0.85)), fill=colour)
    for i in range(12):
        draw.rectangle((x - 20 + i * 12, int(h * 0.4), x - 14 + i * 12, int(h * 0.7)), fill=(20, 20, 20))
    return out


def mirrored(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def turned(image: Image.Image) -> Image.Image:
    """Turned 90° in its pixels, as a phone that lost the EXIF orientation tag leaves it."""
    return image.transpose(Image.Transpose.ROTATE_90)


def off_centre_crop(image: Image.Image, left: float = 0.10, top: float = 0.10) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), w, h))


def bordered(image: Image.Image, fraction: float = 0.05) -> Image.Image:
    b = round(max(image.size) * fraction)
    framed = Image.new("RGB", (image.width + 2 * b, image.height + 2 * b), "white")
    framed.paste(image, (b, b))
    return framed


def screenshot(image: Image.Image, *, dark_bar: bool = False) -> Image.Image:
    """The photo inside a phone screenshot: status bar, title, white margins and lines of text below."""
    w, h = 720, 1480
    shot = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(shot)
    bar, ink = ((20, 20, 20), (255, 255, 255)) if dark_bar else ((246, 246, 246), (0, 0, 0))
    draw.rectangle((0, 0, w, 60), fill=bar)
    font = cjk_font(28)
    draw.text((30, 14), "9:41", fill=ink, font=font)
    draw.text((w - 150, 14), "5G 87%", fill=ink, font=font)
    draw.text((30, 90), "2023年职业教育活动周 技能展示", fill=(0, 0, 0), font=cjk_font(36))
    pw = w - 60
    ph = round(image.height * pw / image.width)
    shot.paste(image.resize((pw, ph), Image.Resampling.LANCZOS), (30, 160))
    for i in range(4):
        draw.text((30, 190 + ph + i * 44), "学生在实训室展示数控加工技能，校企合作推进产教融合。", fill=(60, 60, 60),
                  font=font)
    return shot


def article(image: Image.Image, *, page: tuple[int, int, int] = (237, 237, 237), quality: int = 75) -> Image.Image:
    """The photo as wide as the screen in a screenshot of an article (a re-posted WeChat story): status bar, title,
    a grey page, text below, saved as JPEG."""
    import io

    w, h = 720, 1480
    shot = Image.new("RGB", (w, h), page)
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, w, 60), fill=(250, 250, 250))
    draw.text((30, 14), "9:41", fill=(0, 0, 0), font=cjk_font(28))
    draw.text((20, 80), "职业教育活动周｜技能展示", fill=(0, 0, 0), font=cjk_font(34))
    ph = round(image.height * w / image.width)
    shot.paste(image.resize((w, ph), Image.Resampling.LANCZOS), (0, 200))
    for i in range(3):
        draw.text((20, 230 + ph + i * 44), "学生在实训室展示数控加工技能。", fill=(60, 60, 60), font=cjk_font(28))
    buffer = io.BytesIO()
    shot.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _perspective(pa: list[tuple[float, float]], pb: list[tuple[float, float]]) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(pa, pb, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return [float(c) for c in np.linalg.solve(np.array(rows, float), np.array(pb, float).reshape(8))]


def reshot(image: Image.Image) -> Image.Image:
    """Photographed off a screen or print: slight perspective, blur, duller colour and contrast."""
    w, h = image.size
    coeffs = _perspective([(0, 0), (w, 0), (w, h), (0, h)],
                          [(w * 0.04, h * 0.02), (w * 0.98, 0), (w, h), (w * 0.01, h * 0.96)])
    out = image.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR)
    out = out.filter(ImageFilter.GaussianBlur(1.2))
    return ImageEnhance.Contrast(ImageEnhance.Color(out).enhance(0.85)).enhance(0.9)


def panning_video(path: Path, backdrop: Image.Image, *, seconds: float, start: float = 0.0, fps: int = 25,
                  size: tuple[int, int] = (320, 240), speed: float = 40.0, mirror: bool = False) -> Path:
    """An H.264 MP4 of a camera panning across ``backdrop`` at ``speed`` px/s, from ``start`` seconds into the pan
    (a clip cut at ``start`` from the longer recording, re-encoded)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(int(seconds * fps)):
            x = (start + i / fps) * speed
            left = int(x) % max(1, backdrop.width - size[0])
            frame_image = backdrop.crop((left, 0, left + size[0], size[1]))
            if mirror:
                frame_image = mirrored(frame_image)
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path
