"""Opening untrusted images safely with Pillow (+ pillow-heif), shared by probe and the image renditions.

``MAX_IMAGE_PIXELS`` is set deliberately and Pillow's DecompressionBombWarning is raised as an error, so any image
above the limit is refused rather than decoded (a 1-bit 20000×20000 PNG is 50 KB on disk and 400 MP in memory).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pillow_heif
from PIL import Image

from service.core.media_types import MAX_IMAGE_PIXELS, PILLOW_FORMATS
from workers.rejections import Rejected

#: Formats we accept after content sniffing (Pillow's format names); the limit and the formats are
#: ``service.core.media_types``'s (one home for file types and pixel limits).
ACCEPTED_FORMATS = PILLOW_FORMATS

Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
pillow_heif.register_heif_opener()


def too_large(width: int, height: int) -> Rejected:
    limit = MAX_IMAGE_PIXELS // 1_000_000
    return Rejected("image_too_large", f"图片像素过多（{width}×{height}），超过 {limit} 百万像素上限，疑似解压炸弹",
                    f"image has too many pixels ({width}×{height}, limit {limit} MP); "
                    "possible decompression bomb")


def corrupt(exc: BaseException) -> Rejected:
    return Rejected("corrupt_image", "图片文件损坏或不完整（可能上传中断），请重新导出后上传",
                    f"the image is corrupt or truncated ({exc.__class__.__name__}); export it again and re-upload")


@contextmanager
def open_image(path: Path) -> Iterator[Image.Image]:
    """Open ``path`` lazily (header only); bombs and unreadable files become ``Rejected``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(path)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            limit = MAX_IMAGE_PIXELS // 1_000_000
            raise Rejected("image_too_large", f"图片像素过多（超过 {limit} 百万像素上限），疑似解压炸弹，已拒收",
                           f"image has too many pixels (over the {limit} MP limit); possible decompression bomb"
                           ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise corrupt(exc) from exc
        try:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise too_large(image.width, image.height)
            yield image
        finally:
            image.close()


def decode(image: Image.Image, *, target: tuple[int, int] | None = None) -> Image.Image:
    """Decode pixels, at reduced JPEG scale when ``target`` allows (``draft``), mapping decode errors to Rejected."""
    try:
        if target is not None and image.format in ("JPEG", "MPO"):
            image.draft("RGB", target)
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise corrupt(exc) from exc
    return image
