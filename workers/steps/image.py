"""Image renditions: thumb (≈320 px), preview (≈1280), web (≈2560) as JPEG and WebP (see ``workers.profiles``).

One decode per photo: JPEG ``draft()`` picks the smallest DCT scale that still covers the largest rendition needed,
then each size is resized from the previous one (web → preview → thumb), never from the full-size pixels again.
When no DCT scale can help (a 12 MP JPEG's 2560 px ``web`` size needs every pixel), an 8-bit RGB or grey JPEG is
decoded, resized, colour-converted and oriented by libvips instead (streamed decode, vectorised Lanczos-3: ≈ 0.14 s
against Pillow's ≈ 0.49 s for 12 MP → 2560 px on one core, see docs/PERFORMANCE.md); any libvips error falls back to
the Pillow path, which is also the one that names a corrupt file. Encoding is Pillow's either way.
Every derivative is auto-oriented, converted to sRGB, and saved without EXIF/XMP (no GPS, no camera serials);
originals keep everything. An embedded colour profile (Display P3 on iPhones) is applied once, to the largest size,
never to every decoded pixel: LittleCMS costs per pixel (a 12 MP HEIC: 0.40–0.46 s at full size, 0.10–0.15 s at 2560).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from workers.imaging import decode, open_image
from workers.profiles import IMAGE_RENDITIONS, IMAGE_SIZES, ImageRendition

try:  # the ``ml`` extra ships libvips (pyvips-binary); without it the Pillow path does everything
    import pyvips
except (ImportError, OSError):  # pragma: no cover - depends on the installation
    pyvips = None
else:  # a corrupt JPEG makes libvips warn once per tile before it fails; the Pillow retry names the problem once
    logging.getLogger("pyvips").setLevel(logging.ERROR)

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
    with open_image(source) as image:  # rendered inside: the pixels may be the opened image itself
        pictures = _vips_resized(source, image, sizes) or _pillow_resized(image, sizes)
        written: list[Rendered] = []
        for (name, _), picture in zip(sizes, pictures, strict=True):
            for spec in (s for s in IMAGE_RENDITIONS if s.name in (name, f"{name}_webp")):
                path = out_dir / f"{spec.name}.{spec.ext}"
                picture.save(path, spec.format, **dict(spec.options))
                written.append(Rendered(spec, path, picture.width, picture.height))
    return written


def _pillow_resized(image: Image.Image, sizes: tuple[tuple[str, int], ...]) -> list[Image.Image]:
    """Decode (at the smallest JPEG DCT scale that covers the largest size), orient, sRGB, then cascade the sizes."""
    decode(image, target=_scaled(image.size, max(edge for _, edge in sizes)))
    ImageOps.exif_transpose(image, in_place=True)  # in place: no 12 MP copy when already upright
    upright, icc = image.size, image.info.get("icc_profile")
    first = _scaled(upright, max(edge for _, edge in sizes))
    if image.mode in ("RGB", "CMYK", "L") and first != image.size:
        # The largest size first, then the profile's colours on it rather than on every decoded pixel: a 12 MP
        # Display P3 HEIC took 0.40–0.46 s in LittleCMS, 0.10–0.15 s at 2560 px (0.02 levels apart on average).
        image = _resized_once(image, first)
        if icc:
            image.info["icc_profile"] = icc
    pixels = _flatten(to_srgb(image))
    pixels.info = {}  # nothing of the original's metadata (EXIF, XMP, ICC) travels into a derivative
    pictures: list[Image.Image] = []
    current = pixels
    for _, edge in sizes:  # largest first: each size is resized from the previous one
        size = _scaled(upright, edge)
        if size != current.size:
            current = current.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
            current.info = {}
        pictures.append(current)
    return pictures


def _resized_once(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` at ``size``, Lanczos-3: by libvips for 8-bit RGB or grey pixels (12 MP → 2560 px of a HEIC in
    0.18 s against Pillow's 0.30 s on one core, 0.15 levels apart on average), else by Pillow."""
    if pyvips is not None and image.mode in ("RGB", "L"):
        try:
            source = pyvips.Image.new_from_memory(image.tobytes(), image.width, image.height, len(image.mode), "uchar")
            resized = source.resize(size[0] / image.width, vscale=size[1] / image.height, kernel="lanczos3")
            if (resized.width, resized.height) == size:
                return Image.frombytes(image.mode, size, resized.write_to_memory())
        except pyvips.Error:
            pass
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _needs_full_decode(image: Image.Image, largest: int) -> bool:
    """True when Pillow's ``draft`` cannot shrink the JPEG at all (it needs at least 2× the target on both sides)."""
    width, height = _scaled(image.size, largest)
    return min(image.width // width, image.height // height) < 2


def _vips_resized(source: Path, image: Image.Image, sizes: tuple[tuple[str, int], ...]) -> list[Image.Image] | None:
    """The sizes made by libvips for an 8-bit RGB/grey JPEG that would otherwise be decoded whole; None: use Pillow."""
    if (pyvips is None or image.format not in ("JPEG", "MPO") or image.mode not in ("RGB", "L")
            or not _needs_full_decode(image, max(edge for _, edge in sizes))):
        return None
    try:
        pixels = pyvips.Image.new_from_file(str(source), access="sequential", fail_on="error")
        pictures: list[Image.Image] = []
        current = pixels
        for index, (_, edge) in enumerate(sizes):  # largest first, each from the previous one, as on the Pillow path
            # Resized as stored, turned upright after: a sequential decode cannot be rotated before it is in memory.
            width, height = _scaled((pixels.width, pixels.height), edge)
            if (width, height) != (current.width, current.height):
                current = current.resize(width / current.width, vscale=height / current.height, kernel="lanczos3")
            if index == 0:  # colour converted once, on the largest size rather than on every decoded pixel
                if current.get_typeof("icc-profile-data"):
                    current = current.icc_transform("srgb", embedded=True, intent="perceptual")
                elif current.bands == 1:
                    current = current.colourspace("srgb")
                if current.bands != 3 or current.format != "uchar":
                    return None
            current = current.copy_memory()  # the decode is sequential: materialise before the next size reads it
            if (current.width, current.height) != (width, height):
                return None
            upright = current.autorot()  # EXIF orientation, carried in the image's metadata through every resize
            pictures.append(Image.frombytes("RGB", (upright.width, upright.height), upright.write_to_memory()))
        return pictures
    except pyvips.Error:
        return None  # the Pillow path decodes it again and names what is wrong with the file
