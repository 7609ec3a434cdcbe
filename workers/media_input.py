"""What the ml steps look at: the ``preview`` rendition of a photo when ``derive`` made one, else the original
(read and decoded once per worker task, see ``load_still``); for videos the keyframes ``derive`` extracted once and
stored (``load_keyframes``), else a local copy of ``proxy_720p`` or the original decoded by ``models.video``."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.video import VideoAnalysis, analyse_video
from service.core.storage import get_storage
from service.db.asset import Asset, Rendition
from workers import imaging as _imaging  # noqa: F401 - importing it sets Pillow's MAX_IMAGE_PIXELS
from workers.scratch import scratch_dir


def rendition_key(session: Session, asset: Asset, name: str) -> str | None:
    return session.scalar(select(Rendition.key).where(Rendition.asset_id == asset.id, Rendition.name == name))


#: The last photo this worker thread decoded: a step that asks twice, or the next ml step of the same asset when it
#: lands on the same worker (screen → dedupe → tag), neither downloads nor decodes it again. One entry, so a worker
#: holds at most one preview-sized photo; the ``preview`` of an asset never changes once derived.
_LAST = threading.local()


def load_still(session: Session, asset: Asset) -> Image.Image:
    """The photo, upright (EXIF orientation applied), RGB; the caller's own copy."""
    key = rendition_key(session, asset, "preview") or asset.original_key
    cached = getattr(_LAST, "still", None)
    if cached is None or cached[0] != (asset.id, key):
        cached = ((asset.id, key), _decode_still(key))
        _LAST.still = cached
    image: Image.Image = cached[1]
    return image.copy()  # a few ms for a preview; no detector can change what the next one sees


def _decode_still(key: str) -> Image.Image:
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


def load_keyframes(session: Session, asset: Asset, *, uniform_every: float, max_keyframes: int) -> VideoAnalysis:
    """The video's keyframes and quality statistics as ``derive`` stored them (no video decode), thinned to what
    the caller samples; a video derived before keyframes were stored is decoded here as before."""
    from workers.steps import frames  # the steps package imports this module

    index = frames.stored_index(uuid.UUID(str(asset.id)))
    if index is not None:
        return frames.load(asset.id, index, uniform_every=uniform_every, max_keyframes=max_keyframes)
    with local_video(session, asset) as path:
        return analyse_video(path, uniform_every=uniform_every, max_keyframes=max_keyframes)
