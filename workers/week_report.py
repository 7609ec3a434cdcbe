"""Task ``campaigns.week_report`` (queue ``default``): build the ministry's week report of one campaign as DOCX and PDF
and store both in S3 (``reports/week/{campaign_id}/{report_id}.docx|pdf``).

Guard first: a report already ``ready`` is left alone (a redelivered message does nothing). Keys are deterministic,
so a rerun after a crash overwrites the same two objects. Outages are retried with backoff; anything else marks the
row ``failed`` with the reason and re-raises."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from celery import Task
from minio.error import S3Error

from service.campaigns.week_documents import render_docx, render_pdf
from service.campaigns.week_figures import week_figures
from service.core.db import new_session
from service.core.storage import get_storage
from service.db.campaign import WeekReport, WeekReportStatus
from workers.celery_app import app
from workers.pipeline import TRANSIENT_ERRORS

log = logging.getLogger(__name__)
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def report_keys(campaign_id: uuid.UUID, report_id: uuid.UUID) -> tuple[str, str]:
    base = f"reports/week/{campaign_id}/{report_id}"
    return f"{base}.docx", f"{base}.pdf"


def build_week_report(report_id: uuid.UUID) -> WeekReportStatus | None:
    """Build and store one report; returns its final status (None: the row is gone)."""
    storage = get_storage()
    with new_session() as session:
        report = session.get(WeekReport, report_id)
        if report is None:
            return None
        if report.status == WeekReportStatus.ready:
            return report.status
        figures = week_figures(session, report.campaign_id)
        thumbs: dict[str, bytes] = {}
        for item in figures.featured:
            if item.thumb_key and item.thumb_key not in thumbs:
                try:
                    thumbs[item.thumb_key] = storage.get_bytes(item.thumb_key)
                except S3Error:  # a purged thumbnail leaves its item's text in the report
                    log.warning("thumbnail %s of a featured file is missing", item.thumb_key)
        at = datetime.now(UTC)
        docx_key, pdf_key = report_keys(report.campaign_id, report.id)
        storage.put_bytes(docx_key, render_docx(figures, thumbs, at), DOCX_MIME)
        storage.put_bytes(pdf_key, render_pdf(figures, thumbs, at), "application/pdf")
        report.docx_key, report.pdf_key = docx_key, pdf_key
        report.figures = figures.as_json()
        report.status, report.finished_at, report.error = WeekReportStatus.ready, at, None
        session.commit()
        return report.status


def _fail(report_id: uuid.UUID, error: str) -> None:
    with new_session() as session:
        report = session.get(WeekReport, report_id)
        if report is not None and report.status != WeekReportStatus.ready:
            report.status, report.error, report.finished_at = WeekReportStatus.failed, error[:2000], datetime.now(UTC)
            session.commit()


@app.task(  # type: ignore[untyped-decorator]
    name="campaigns.week_report", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5,
    soft_time_limit=900, time_limit=960, queue="default")
def week_report(self: Task, report_id: str) -> str | None:
    rid = uuid.UUID(report_id)
    try:
        status = build_week_report(rid)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= (self.max_retries or 0):
            _fail(rid, f"{type(exc).__name__}: {exc}")
            raise
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** self.request.retries)) from exc
    except Exception as exc:
        _fail(rid, f"{type(exc).__name__}: {exc}")
        raise
    return status.value if status else None
