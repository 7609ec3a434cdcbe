"""Image renditions: thumb (≈320 px), preview (≈1280), web (≈2560) as JPEG and WebP (see ``workers.profiles``).

One decode per photo: JPEG ``draft()`` picks the smallest DCT scale that still covers the largest rendition needed,
then each size is resized from the previous one (web → preview → thumb), never from the full-size pixels again.
Every derivative is auto-oriented, converted to sRGB, and saved without EXIF/XMP (no GPS, no camera serials);
originals keep everything.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from workers.imaging import decode, open_image
from workers.profiles import IMAGE_RENDITIONS, IMAGE_SIZES, ImageRendition

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Rendered:
    spec: ImageRendition
    path: Path
    width: int
    height: int


def _scaled(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    width, height = size
    factor = min(1.0, long_edge / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert embedded ICC colour (Display P3, Adobe RGB, CMYK) to sRGB; untagged pixels are taken as sRGB."""
    icc = image.info.get("icc_profile")
    if image.mode not in ("RGB", "RGBA", "L", "LA", "CMYK", "I;16", "I", "F", "P", "1"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if image.mode in ("P", "1", "I;16", "I", "F", "LA", "RGBA"):
        image = image.convert("RGBA" if image.mode in ("P", "LA", "RGBA") and _has_alpha(image) else "RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
            if converted is not None:
                image = converted
        except (OSError, ImageCms.PyCMSError, ValueError):
            pass  # a broken profile: keep the pixels as they are rather than refusing the photo
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    return image


def _has_alpha(image: Image.Image) -> bool:
    if image.mode == "P":
        return "transparency" in image.info
    return "A" in image.getbands()


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def render(source: Path, out_dir: Path, sizes: tuple[tuple[str, int], ...] = IMAGE_SIZES) -> list[Rendered]:
    """Write the image renditions of ``sizes`` (largest first) into ``out_dir``; returns what was written."""
    largest = max(edge for _, edge in sizes)
    with open_image(source) as image:  # rendered inside: the pixels may be the opened image itself
        decode(image, target=_scaled(image.size, largest))
        ImageOps.exif_transpose(image, in_place=True)  # in place: no 12 MP copy when already upright
        pixels = _flatten(to_srgb(image))
        pixels.info = {}  # nothing of the original's metadata (EXIF, XMP, ICC) travels into a derivative
        written: list[Rendered] = []
        current = pixels
        for name, edge in sizes:  # largest first: each size is resized from the previous one
            size = _scaled(pixels.size, edge)
            if size != current.size:
                current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
                current.info = {}
            for spec in (s for s in IMAGE_RENDITIONS if s.name in (name, f"{name}_webp")):
                path = out_dir / f"{spec.name}.{spec.ext}"
                current.save(path, spec.format, **dict(spec.options))
                written.append(Rendered(spec, path, current.width, current.height))
    return written
