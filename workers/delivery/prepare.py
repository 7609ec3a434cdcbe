"""Make the tagged copy of one rendition: caption, credit, date, place and copyright written into the file.

Cached at ``delivery/{asset_id}/{rendition}.{ext}`` with a ``delivery_file`` row whose ``meta_digest`` says which
metadata it carries; when an editor changes the caption the next request rebuilds it. Camera metadata (GPS, serials,
other EXIF) is removed first (:mod:`workers.delivery.privacy`): JPEG and PNG losslessly, other still-image originals
(TIFF, HEIC, AVIF, WebP) become a tagged JPEG. PNG has no IPTC block, so it is delivered stripped but untagged
(``embedded = false``).
"""

from __future__ import annotations

import logging
import uuid
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.credits import Credits, cache_name, credits_for, delivery_key
from service.db.org import Organization
from service.db.portal import DeliveryFile
from service.db.submission import Submission
from workers.delivery.jpeg_meta import NotAJpeg, write_jpeg_metadata
from workers.delivery.privacy import NotAPng, strip_png, to_jpeg
from workers.delivery.video_meta import CONTAINERS, write_video_metadata
from workers.scratch import scratch_dir

log = logging.getLogger(__name__)


class UnknownRendition(LookupError):
    pass


def source(asset: Asset, rendition: str) -> tuple[str, str, int]:
    if rendition == "original":
        return asset.original_key, asset.mime or "application/octet-stream", asset.size
    for found in asset.renditions:
        if found.name == rendition:
            return found.key, found.mime, found.size
    raise UnknownRendition(f"asset {asset.id} has no rendition {rendition!r}")


def credits_of(session: Session, asset: Asset) -> Credits:
    submission = session.get(Submission, asset.submission_id)
    org = session.get(Organization, asset.org_id)
    if submission is None or org is None:  # foreign keys with RESTRICT make this unreachable
        raise LookupError(f"asset {asset.id} lost its submission or organisation")
    return credits_for(asset, submission, org, copyright_notice=get_settings().portal_copyright)


def _crc32(chunks: Iterable[bytes]) -> int:
    crc = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    return crc


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as reader:
        while chunk := reader.read(1024 * 1024):
            yield chunk


def converts_to_jpeg(rendition: str, mime: str) -> bool:
    """Still-image originals we cannot strip in place are delivered as a tagged JPEG."""
    return (rendition == "original" and mime.startswith("image/")
            and mime not in ("image/jpeg", "image/png", "image/gif", "image/svg+xml"))


def _tag(key: str, mime: str, credits: Credits, asset_id: uuid.UUID, rendition: str,
         keep_location: bool) -> tuple[str, str, int, bool, int]:
    """Write the stripped, tagged copy; returns (key, mime, size, embedded, CRC-32 of what was stored)."""
    storage = get_storage()
    with scratch_dir("delivery-") as scratch:
        src, dst, jpeg = scratch / "in", scratch / "out", scratch / "converted"
        storage.download(key, src)
        embedded = True
        if converts_to_jpeg(rendition, mime):
            to_jpeg(src, jpeg)
            src, mime = jpeg, "image/jpeg"
        if mime == "image/jpeg":
            try:
                with src.open("rb") as reader, dst.open("wb") as writer:
                    write_jpeg_metadata(reader, writer, credits, keep_location=keep_location)
            except NotAJpeg:  # cannot be stripped safely: re-encode it rather than hand out the camera's metadata
                log.warning("%s is labelled JPEG but is not one; delivering a re-encoded copy", key)
                to_jpeg(src, jpeg)
                with jpeg.open("rb") as reader, dst.open("wb") as writer:
                    write_jpeg_metadata(reader, writer, credits)
        elif mime == "image/png":
            embedded = False
            try:
                with src.open("rb") as reader, dst.open("wb") as writer:
                    strip_png(reader, writer)
            except NotAPng:
                log.warning("%s is labelled PNG but is not one; delivering a re-encoded JPEG", key)
                to_jpeg(src, jpeg)
                mime = "image/jpeg"
                with jpeg.open("rb") as reader, dst.open("wb") as writer:
                    write_jpeg_metadata(reader, writer, credits)
        else:
            write_video_metadata(src, dst, credits, mime)
        target = delivery_key(asset_id, cache_name(rendition, keep_location), mime)
        return target, mime, storage.put_file(target, dst, mime), embedded, _crc32(_file_chunks(dst))


def ensure_delivery(session: Session, asset_id: uuid.UUID, rendition: str,
                    keep_location: bool = False) -> DeliveryFile | None:
    """The current tagged copy of ``rendition`` (made if missing or stale); None when the asset is gone.

    ``keep_location``: the copy keeps the JPEG's GPS block (cached apart, as ``{rendition}+location``).
    Serialised per (asset, copy) with an advisory lock, so concurrent requests build it once.
    """
    name = cache_name(rendition, keep_location)
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"delivery:{asset_id}:{name}"})
    asset = session.get(Asset, asset_id)
    if asset is None:
        return None
    credits = credits_of(session, asset)
    digest = credits.digest()
    key, mime, size = source(asset, rendition)
    existing = session.scalar(select(DeliveryFile).where(DeliveryFile.asset_id == asset_id,
                                                         DeliveryFile.rendition == name))
    if (existing is not None and existing.meta_digest == digest and existing.crc32 is not None
            and get_storage().exists(existing.key)):
        return existing  # idempotency guard: already delivered with this metadata (and its CRC known)
    if mime in ("image/jpeg", "image/png") or mime in CONTAINERS or converts_to_jpeg(rendition, mime):
        target, mime, size, embedded, crc = _tag(key, mime, credits, asset_id, rendition, keep_location)
    else:  # nothing to write into: hand out the rendition itself
        target, embedded, crc = key, False, _crc32(get_storage().iter_object(key))
    values = {"key": target, "mime": mime, "size": size, "meta_digest": digest, "embedded": embedded,
              "crc32": crc, "updated_at": func.now()}
    session.execute(insert(DeliveryFile).values(id=uuid.uuid4(), asset_id=asset_id, rendition=name, **values)
                    .on_conflict_do_update(constraint="uq_delivery_file_asset_rendition", set_=values))
    session.flush()
    return session.scalar(select(DeliveryFile).where(DeliveryFile.asset_id == asset_id,
                                                     DeliveryFile.rendition == name)
                          .execution_options(populate_existing=True))
