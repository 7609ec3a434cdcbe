"""Periodic housekeeping tasks (Celery beat): expired tus uploads."""

from __future__ import annotations

import logging

from service.ingest.uploads import expire_uploads
from workers.celery_app import app

log = logging.getLogger(__name__)


@app.task(name="maintenance.expire_uploads")  # type: ignore[untyped-decorator]
def expire_uploads_task() -> int:
    """Abort the S3 multipart uploads and delete the tails of uploads past their expiry. Idempotent."""
    count = expire_uploads()
    if count:
        log.info("expired %d unfinished uploads", count)
    return count
