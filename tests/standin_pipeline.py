"""STAND-IN pipeline steps for the cluster test, registered only while the real steps have not landed.

The cluster test proves scale-out (queues, nodes, kill -9, sweeper), not media processing, so when
``workers.pipeline`` has no registered step these fakes take their places: ``verify`` (ingest: sha256 and magic
bytes, rejects anything else), ``derive`` (media: a thumbnail rendition, slow enough to be killed mid-run) and
``tag`` (ml). They follow the step contract (guard-free, deterministic keys, ``Rejected`` for bad files). As soon as a
real step is registered none of them is, and the same test drives the real pipeline.

Workers load it with ``celery -A tests.standin_pipeline:app``.
"""

from __future__ import annotations

import hashlib
import io
import time

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.storage import get_storage
from service.db.asset import Asset, AssetKind, Job, Rendition
from workers import pipeline
from workers.celery_app import app

__all__ = ["STANDINS_ACTIVE", "app"]

#: Seconds the stand-in derive works, so that a node can be killed while a step runs.
DERIVE_SECONDS = 1.5

_MAGIC: tuple[tuple[bytes, int, AssetKind, str], ...] = (
    (b"\xff\xd8\xff", 0, AssetKind.image, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, AssetKind.image, "image/png"),
    (b"ftyp", 4, AssetKind.video, "video/mp4"),
)


def _verify(session: Session, asset: Asset, job: Job) -> None:
    data = get_storage().get_bytes(asset.original_key)
    for magic, offset, kind, mime in _MAGIC:
        if data[offset:offset + len(magic)] == magic:
            asset.kind, asset.mime = kind, mime
            break
    else:
        raise pipeline.Rejected("unsupported_type", "文件类型不受支持（仅限照片和视频）",
                                "unsupported file type (photos and videos only)")
    asset.sha256, asset.size = hashlib.sha256(data).hexdigest(), len(data)


def _derive(session: Session, asset: Asset, job: Job) -> None:
    time.sleep(DERIVE_SECONDS)
    if asset.kind == AssetKind.image:
        with Image.open(io.BytesIO(get_storage().get_bytes(asset.original_key))) as image:
            thumb = image.convert("RGB")
            thumb.thumbnail((32, 32))
    else:
        thumb = Image.new("RGB", (32, 32), "gray")  # a poster frame stands in for the video renditions
    out = io.BytesIO()
    thumb.save(out, "JPEG")
    key = f"derived/{asset.id}/thumb.jpg"
    get_storage().put_bytes(key, out.getvalue(), "image/jpeg")
    existing = session.scalar(select(Rendition).where(Rendition.asset_id == asset.id, Rendition.name == "thumb"))
    if existing is None:
        session.add(Rendition(asset_id=asset.id, name="thumb", key=key, mime="image/jpeg", width=thumb.width,
                              height=thumb.height, size=out.tell()))


def _tag(session: Session, asset: Asset, job: Job) -> None:
    time.sleep(0.2)


STANDINS_ACTIVE = not pipeline.STEPS
if STANDINS_ACTIVE:
    pipeline.register("verify")(_verify)
    pipeline.register("derive")(_derive)
    pipeline.register("tag")(_tag)
