"""What the ml steps look at: the ``preview`` rendition of a photo when ``derive`` made one, else the original;
for videos a local copy of ``proxy_720p`` when present, else the original (frames are sampled by ``models.video``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.storage import get_storage
from service.db.asset import Asset, Rendition
from workers import imaging as _imaging  # noqa: F401 - importing it sets Pillow's MAX_IMAGE_PIXELS
from workers.scratch import scratch_dir


def rendition_key(session: Session, asset: Asset, name: str) -> str | None:
    return session.scalar(select(Rendition.key).where(Rendition.asset_id == asset.id, Rendition.name == name))


def load_still(session: Session, asset: Asset) -> Image.Image:
    """The photo, upright (EXIF orientation applied), RGB."""
    key = rendition_key(session, asset, "preview") or asset.original_key
    data = get_storage().get_bytes(key)
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        from workers.pipeline import Rejected  # the pipeline imports the steps that import this module

        raise Rejected("image_unreadable", "图片无法解码，请重新导出后上传",
                       f"the image cannot be decoded ({exc.__class__.__name__})") from exc
    return ImageOps.exif_transpose(image).convert("RGB")


@contextmanager
def local_video(session: Session, asset: Asset) -> Iterator[Path]:
    key = rendition_key(session, asset, "proxy_720p") or asset.original_key
    with scratch_dir("ml-") as folder:
        path = folder / "video"
        get_storage().download(key, path)
        yield path
