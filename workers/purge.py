"""The one purge path: every trace of an asset's content leaves S3 and the database (takedown, later retention).

``purge_asset`` deletes, for one asset:

* objects: the original, every rendition, every delivered (tagged) copy, anything under its ``derived/`` and
  ``delivery/`` prefixes, the upload's part objects, its consent documents (and its submission's once the
  submission goes), and the ZIP of every package that held it (each package is rebuilt without it, see
  ``drop_from_packages``);
* rows: the asset and, by cascade, its renditions, jobs, collection items, delivered-copy rows, review row and
  events, findings, tags, screening text (OCR, captions), hashes and embeddings; its upload row; its
  submission (title, description) once no other file is left in it. Download audit rows keep their time and outlet
  with ``asset_id`` set to NULL.

It returns counts only, which the caller stores on the takedown record (the audit without content). Campaign
retention (service/retention/) calls the same function and records a takedown row with ``purge_kind="retention"``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from service.consent.documents import purge_documents
from service.core import audit
from service.core.db import new_session
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.submission import Submission
from service.db.takedown import Takedown, TakedownStatus
from service.db.upload import Upload
from service.takedown.service import delete_delivered_copies, drop_from_packages
from workers.celery_app import app

log = logging.getLogger(__name__)


def purge_asset(session: Session, asset_id: uuid.UUID) -> dict[str, Any]:
    """Delete the asset's objects and rows (see the module docstring); counts of what went. Idempotent."""
    storage = get_storage()
    summary: dict[str, Any] = {"packages_rebuilt": drop_from_packages(session, asset_id),
                               "delivered_copies": delete_delivered_copies(session, asset_id)}
    objects = 0
    asset = session.get(Asset, asset_id)
    if asset is not None:
        keys = {asset.original_key, *(r.key for r in asset.renditions)}
        for key in keys:
            if storage.exists(key):
                storage.delete(key)
                objects += 1
        folder = asset.original_key.rsplit("/", 1)[0] + "/"
        if str(asset_id) in folder:  # originals/{campaign}/{org}/{asset_id}/: anything else stored beside it
            objects += storage.delete_prefix(folder)
        summary["renditions"] = len(asset.renditions)
    objects += storage.delete_prefix(f"derived/{asset_id}/")
    objects += purge_documents(session, asset_id=asset_id)  # the file's own consent forms (rows go by cascade)
    for upload in session.scalars(select(Upload).where(Upload.asset_id == asset_id)).all():
        for part in (upload.s3_key, upload.tail_key):
            if part and storage.exists(part):
                storage.delete(part)
                objects += 1
        session.delete(upload)
    summary["objects"] = objects
    submission_id = asset.submission_id if asset is not None else None
    summary["asset_rows"] = session.execute(delete(Asset).where(Asset.id == asset_id)).rowcount  # type: ignore[attr-defined]
    session.flush()
    summary["submission_deleted"] = _drop_empty_submission(session, submission_id)
    return summary


def _drop_empty_submission(session: Session, submission_id: uuid.UUID | None) -> bool:
    """The submission's title and description go too once no file (finished or uploading) is left in it."""
    if submission_id is None:
        return False
    left = session.scalar(select(exists().where(Asset.submission_id == submission_id))) or session.scalar(
        select(exists().where(Upload.submission_id == submission_id)))
    if left:
        return False
    purge_documents(session, submission_id=submission_id)  # its consent forms (rows go by cascade)
    session.execute(delete(Submission).where(Submission.id == submission_id))
    session.flush()
    return True


def due(session: Session, now: datetime) -> list[Takedown]:
    return list(session.scalars(select(Takedown).where(Takedown.status == TakedownStatus.taken_down,
                                                      Takedown.legal_hold.is_(False),
                                                      Takedown.purge_after <= now)
                                .with_for_update(skip_locked=True).limit(200)))


def purge_takedown(session: Session, takedown: Takedown) -> None:
    takedown.summary = purge_asset(session, takedown.asset_id)
    takedown.status, takedown.purged_at, takedown.purge_kind = TakedownStatus.purged, datetime.now(UTC), "takedown"
    # counts and ids only: the purged file's name and text must not survive in the log
    audit.record(session, actor=None, action="takedown.purge", target_kind="asset", target_id=takedown.asset_id,
                 org_id=takedown.org_id, detail={"takedown_id": str(takedown.id),
                                                 **{k: v for k, v in takedown.summary.items()
                                                    if isinstance(v, (int, bool))}})


@app.task(name="purge.sweep_takedowns", queue="default")  # type: ignore[untyped-decorator]
def sweep_takedowns() -> int:
    """Beat (hourly): purge every takedown whose grace period is over and that has no legal hold."""
    count = 0
    with new_session() as session:
        for takedown in due(session, datetime.now(UTC)):
            purge_takedown(session, takedown)
            session.commit()
            count += 1
            log.info("purged taken-down asset %s", takedown.asset_id)
    return count

