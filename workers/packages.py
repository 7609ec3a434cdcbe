"""Portal tasks (queue ``default``): tagged copies, ZIP packages streamed to S3, and package expiry.

Each task loads its row by id, checks a guard (already done → return), and records failures on its row before
re-raising; a worker killed mid-build is redelivered (``acks_late``) and the build restarts from the beginning.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from celery import Task
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.csvfile import csv_bytes
from service.core.db import new_session
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.credits import delivery_filename
from service.db.portal import Collection, Package, PackageStatus
from service.db.takedown import Takedown, TakedownStatus
from workers.celery_app import app
from workers.delivery.prepare import UnknownRendition, credits_of, ensure_delivery
from workers.delivery.zipstream import ChangedWhileBuilding, Member, PackageWriter, write_zip
from workers.pipeline import TRANSIENT_ERRORS

log = logging.getLogger(__name__)
#: Retried with backoff: outages, and a member re-tagged mid-build (the retry takes its new copy and CRC).
RETRIED: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, ChangedWhileBuilding)
PACKAGE_TIME_LIMIT = 4 * 3600
CSV_COLUMNS = ("file", "asset_id", "rendition", "headline", "caption", "credit", "byline", "date", "place",
               "region_code", "organization", "copyright", "keywords")


@app.task(  # type: ignore[untyped-decorator]
    name="portal.deliver", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5,
    soft_time_limit=1800, time_limit=1900, queue="default")
def deliver(self: Task, asset_id: str, rendition: str, keep_location: bool = False) -> str | None:
    """Make (or confirm) the tagged copy of one rendition (with GPS only for a release that keeps it)."""
    try:
        with new_session() as session:
            found = ensure_delivery(session, uuid.UUID(asset_id), rendition, keep_location)
            session.commit()
            return found.key if found else None
    except UnknownRendition:
        log.info("asset %s has no rendition %s; nothing to deliver", asset_id, rendition)
        return None
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** self.request.retries)) from exc


def _progress(package_id: uuid.UUID, **values: object) -> None:
    with new_session() as session:
        session.execute(update(Package).where(Package.id == package_id).values(**values))
        session.commit()


def unique_name(name: str, taken: set[str]) -> str:
    """``name`` or ``name-2``, ``name-3`` …: members never overwrite one another when unpacked."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
    taken.add(candidate.lower())
    return candidate


def _sidecars(rows: list[dict[str, str]]) -> tuple[bytes, bytes]:
    return csv_bytes(CSV_COLUMNS, rows), json.dumps(rows, ensure_ascii=False, indent=2).encode()


def _members(session: Session, package: Package) -> tuple[list[Member], list[dict[str, str]]]:
    members: list[Member] = []
    rows: list[dict[str, str]] = []
    taken = {"captions.csv", "captions.json"}
    now = datetime.now(UTC)
    collection = session.get(Collection, package.collection_id) if package.collection_id else None
    keep_location = bool(collection is not None and collection.keep_location)  # the editor's choice for a release
    for item in package.items:
        asset_id, rendition = uuid.UUID(item["asset_id"]), item["rendition"]
        if _taken_down(session, asset_id):  # a stale build must not make its tagged copy again
            continue
        delivered = ensure_delivery(session, asset_id, rendition, keep_location)
        session.commit()  # release the advisory lock; the copy is durable now
        asset = session.get(Asset, asset_id)
        if delivered is None or asset is None:
            continue
        credits = credits_of(session, asset)
        name = unique_name(delivery_filename(asset_id, credits, rendition, delivered.mime), taken)
        assert delivered.crc32 is not None  # ensure_delivery never returns a copy without it
        members.append(Member(name, delivered.size, delivered.crc32, now, key=delivered.key))
        rows.append({"file": name, "asset_id": str(asset_id), "rendition": rendition, "headline": credits.headline,
                     "caption": credits.caption, "credit": credits.credit, "byline": credits.byline,
                     "date": credits.date.isoformat() if credits.date else "", "place": credits.place,
                     "region_code": credits.region_code or "", "organization": credits.organization,
                     "copyright": credits.copyright, "keywords": ";".join(credits.keywords)})
    return members, rows


def _taken_down(session: Session, asset_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(exists().where(Takedown.asset_id == asset_id,
                                                     Takedown.status == TakedownStatus.taken_down))))


def _superseded(session: Session, package_id: uuid.UUID, key: str, items: list[dict[str, Any]]) -> Package | None:
    """The package locked, or None when this build's ZIP is no longer wanted: a takedown changed its items (and
    queued a rebuild, which may already have written its own ZIP), or a concurrent build of the same package (a
    redelivered message) finished first."""
    current = session.get(Package, package_id, with_for_update=True)
    if current is None or current.items != items:
        return None
    if current.status in (PackageStatus.ready, PackageStatus.expired) and current.key != key:
        return None
    return current


def build(package_id: uuid.UUID) -> None:
    """Build the ZIP under a key of its own (``packages/{id}/{attempt}/…``), so a build overtaken by a takedown
    and its rebuild can never overwrite the rebuilt ZIP; such a stale build deletes what it wrote and ends quietly
    (tests/integration/test_takedown_during_build.py)."""
    storage = get_storage()
    with new_session() as session:
        package = session.get(Package, package_id, with_for_update=True)
        if package is None or package.status in (PackageStatus.ready, PackageStatus.expired):
            return  # idempotency guard: built already (or gone)
        if package.upload_id and package.key:  # a previous attempt died mid-upload
            storage.abort_multipart(package.key, package.upload_id)
        key = f"packages/{package.id}/{uuid.uuid4().hex[:12]}/mediadesk-{str(package.id)[:8]}.zip"
        package.status, package.key, package.done_items, package.done_bytes = PackageStatus.building, key, 0, 0
        package.error = None
        items = list(package.items)
        session.commit()
        try:
            members, rows = _members(session, package)
        except Exception:
            session.rollback()
            if _superseded(session, package_id, key, items) is None:
                log.info("package %s was changed while it was built; leaving it to the rebuild", package_id)
                return
            raise
        csv_bytes, json_bytes = _sidecars(rows)
        now = datetime.now(UTC)
        members += [Member("captions.csv", len(csv_bytes), zlib.crc32(csv_bytes), now, data=csv_bytes),
                    Member("captions.json", len(json_bytes), zlib.crc32(json_bytes), now, data=json_bytes)]
    writer = PackageWriter(storage, key, get_settings().upload_part_size)
    _progress(package_id, upload_id=writer.upload_id)
    done = {"items": 0, "bytes": 0}

    def on_member(member: Member, written: int) -> None:
        done["items"] += member.name not in ("captions.csv", "captions.json")
        done["bytes"] += written
        _progress(package_id, done_items=done["items"], done_bytes=done["bytes"])

    try:
        write_zip(writer, members, on_member)
        with new_session() as session:
            if _superseded(session, package_id, key, items) is None:
                raise ChangedWhileBuilding(key)
        writer.close()
    except BaseException as exc:
        writer.abort()
        with new_session() as session:
            if _superseded(session, package_id, key, items) is None:
                # taken down mid-build (service/takedown): the queued rebuild without it writes the ZIP
                log.info("package %s changed while it was built (%s); leaving it to the rebuild", package_id,
                         exc.__class__.__name__)
                return
        raise
    with new_session() as session:
        current = _superseded(session, package_id, key, items)
        if current is None:  # taken down between the last check and the upload's completion
            storage.delete(key)
            log.info("package %s changed while it was built; leaving it to the rebuild", package_id)
            return
        current.status, current.key, current.size, current.upload_id = PackageStatus.ready, key, writer.size, None
        current.finished_at = datetime.now(UTC)
        session.commit()


@app.task(  # type: ignore[untyped-decorator]
    name="portal.build_package", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3,
    soft_time_limit=PACKAGE_TIME_LIMIT, time_limit=PACKAGE_TIME_LIMIT + 120, queue="default")
def build_package(self: Task, package_id: str) -> None:
    """Build the ZIP; failures are written on the package (shown to the outlet) and re-raised."""
    pid = uuid.UUID(package_id)
    try:
        build(pid)
    except RETRIED as exc:
        if self.request.retries < (self.max_retries or 0):
            _progress(pid, status=PackageStatus.queued, error=f"{exc.__class__.__name__}; retrying")
            raise self.retry(exc=exc, countdown=min(300, 10 * 2 ** self.request.retries)) from exc
        _progress(pid, status=PackageStatus.failed,
                  error=f"打包失败，请重试 / building the package failed: {exc.__class__.__name__}")
        raise
    except Exception as exc:
        log.exception("package %s failed", package_id)
        _progress(pid, status=PackageStatus.failed,
                  error=f"打包失败，请重试 / building the package failed: {exc.__class__.__name__}")
        raise


def _expired(session: Session, now: datetime) -> Iterator[Package]:
    yield from session.scalars(select(Package).where(Package.expires_at <= now,
                                                     Package.status != PackageStatus.expired)
                               .with_for_update(skip_locked=True).limit(500))


@app.task(name="portal.expire_packages", queue="default")  # type: ignore[untyped-decorator]
def expire_packages() -> int:
    """Delete expired packages' ZIPs (beat, every few minutes); the rows stay for the audit trail."""
    storage = get_storage()
    count = 0
    with new_session() as session:
        for package in _expired(session, datetime.now(UTC)):
            if package.key:
                if package.upload_id:
                    storage.abort_multipart(package.key, package.upload_id)
                storage.delete(package.key)
            package.status, package.upload_id = PackageStatus.expired, None
            count += 1
        session.commit()
    return count
