"""The ``documents.inspect`` task (queue ``media``): inspect one stored document in a child process with CPU, memory
and wall-clock limits, screen its text with the OCR text rules, store the thumbnail and fold the text into the
report's search text.

A hostile file can crash or exhaust only the child: the task marks the document rejected (``document_too_complex``)
and the worker goes on. Idempotent: a document no longer ``pending`` (or gone) is left alone; a task killed mid-way is
redelivered (``acks_late``) and starts again from the original. A message that never reached the broker (an outage at
upload time) is re-sent by ``documents.requeue_lost`` (beat, every 10 minutes) once the document waited 30 minutes.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.text_rules import compact
from service.core.db import new_session
from service.core.events import EventKind, publish
from service.core.storage import get_storage
from service.core.tasks import send_now
from service.db.reporting import DocumentStatus, DocumentType, Report, ReportDocument
from service.documents.service import INSPECT_QUEUE, INSPECT_TASK, refresh_search_text, thumbnail_key
from workers.celery_app import app
from workers.documents import Limits
from workers.documents.inspect import RESULT, THUMBNAIL
from workers.ffmpeg import child_limits
from workers.pipeline import TRANSIENT_ERRORS
from workers.scratch import fetch_original, scratch_dir
from workers.screening.text import typed_text_findings

log = logging.getLogger(__name__)
#: The parser child's limits: wall clock, CPU seconds and address space (PDFium, Pillow and Python fit in 1 GiB).
CHILD_TIMEOUT_SECONDS = 120
CHILD_CPU_SECONDS = 120
CHILD_MEMORY_BYTES = 1536 * 1024**2
#: A pending document untouched this long lost its message (its inspection takes at most a few minutes).
LOST_AFTER = timedelta(minutes=30)
#: Findings kept per document (a price list repeated on 300 pages is one finding per distinct text anyway).
MAX_FINDINGS = 200


@app.task(  # type: ignore[untyped-decorator]
    name=INSPECT_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5,
    soft_time_limit=CHILD_TIMEOUT_SECONDS + 120, time_limit=CHILD_TIMEOUT_SECONDS + 180, queue=INSPECT_QUEUE)
def inspect_document(self: Task, document_id: str) -> str | None:
    """Inspect one document; returns its final status (None when there was nothing to do)."""
    try:
        return inspect(uuid.UUID(document_id))
    except TRANSIENT_ERRORS as exc:
        raise self.retry(exc=exc, countdown=min(300, 5 * 2 ** self.request.retries)) from exc


def inspect(document_id: uuid.UUID) -> str | None:
    """Inspect one pending document. No transaction stays open while the child runs; the result is written under a
    row lock, and only if the document is still there and pending (deleted meanwhile: its thumbnail goes too)."""
    with new_session() as session:
        document = session.get(ReportDocument, document_id)
        if document is None or document.status != DocumentStatus.pending:
            return None  # deleted meanwhile, or done by an earlier delivery of this message
        report = session.get(Report, document.report_id)
        assert report is not None  # noqa: S101 - the foreign key cascades
        key = document.object_key
        limits = Limits(max_bytes=report.campaign.max_document_bytes, max_pages=report.campaign.max_document_pages)
    thumb_key = None
    with scratch_dir("document-") as folder:
        source = fetch_original(key, folder)
        out = folder / "out"
        out.mkdir()
        result = run_child(source, out, limits)
        thumbnail = out / THUMBNAIL
        if "reject" not in result and result.get("thumbnail") and thumbnail.is_file():
            thumb_key = thumbnail_key(document_id)
            get_storage().put_file(thumb_key, thumbnail, "image/jpeg")
    with new_session() as session:
        document = session.scalar(select(ReportDocument).where(ReportDocument.id == document_id).with_for_update())
        if document is None or document.status != DocumentStatus.pending:
            if document is None and thumb_key:
                get_storage().delete(thumb_key)
            return None
        report = session.get(Report, document.report_id)
        assert report is not None  # noqa: S101 - the foreign key cascades
        document.thumbnail_key = thumb_key
        apply_result(session, document, report, result)
        session.commit()
        return document.status.value


def run_child(source: Path, out: Path, limits: Limits) -> dict[str, Any]:
    """Run ``workers.documents.inspect`` under limits; a child that dies or overruns yields a rejection."""
    args = [sys.executable, "-m", "workers.documents.inspect", str(source), str(out), json.dumps(asdict(limits))]
    try:
        proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=CHILD_TIMEOUT_SECONDS,
                              preexec_fn=child_limits(CHILD_CPU_SECONDS, CHILD_MEMORY_BYTES), close_fds=True,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"reject": "document_too_complex", "detail": f"inspection took over {CHILD_TIMEOUT_SECONDS} s"}
    result_file = out / RESULT
    if proc.returncode == 0 and result_file.is_file():
        loaded: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
        return loaded
    tail = proc.stderr.decode(errors="replace")[-600:]
    log.warning("document inspection exited with %s: %s", proc.returncode, tail)
    if proc.returncode < 0 or "MemoryError" in tail:  # killed by a signal (CPU limit, memory) or out of memory
        return {"reject": "document_too_complex", "detail": f"the parser exited with {proc.returncode}"}
    return {"reject": "document_malformed", "detail": tail.strip().splitlines()[-1][:300] if tail.strip() else ""}


def apply_result(session: Session, document: ReportDocument, report: Report, result: dict[str, Any]) -> None:
    if "reject" in result:
        document.status = DocumentStatus.rejected
        document.reject_code = str(result["reject"])
        document.reject_detail = str(result.get("detail") or "")[:2000]
        session.flush()
        publish(session, EventKind.document_rejected, subject_kind="report_document", subject_id=document.id,
                org_id=report.org_id, user_id=document.uploaded_by, campaign_id=report.campaign_id,
                data={"report_id": str(report.id), "filename": document.filename, "reject_code": document.reject_code},
                dedupe_key=f"document_rejected:{document.id}")
        return
    pages_text: list[str] = [str(text) for text in result.get("pages_text") or []]
    document.doc_type = DocumentType(result["doc_type"])
    document.pages = result.get("pages")
    document.text = "\n\n".join(text for text in pages_text if text)
    document.findings = screen(pages_text, paged=document.doc_type == DocumentType.pdf)
    document.status = DocumentStatus.ready
    session.flush()
    refresh_search_text(session, report)


def screen(pages_text: list[str], *, paged: bool) -> list[dict[str, Any]]:
    """The text rules' findings as ``[{code, score, evidence}]``, one per code and text (at its first page)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for number, text in enumerate(pages_text, start=1):
        where = {"page": number} if paged else {}
        for item in typed_text_findings(text, "document", **where):
            key = (item.code, compact(str(item.detail.get("text", ""))))
            found.setdefault(key, {"code": item.code, "score": item.score, "evidence": item.detail})
            if len(found) >= MAX_FINDINGS:
                return list(found.values())
    return list(found.values())


@app.task(name="documents.requeue_lost", queue="default")  # type: ignore[untyped-decorator]
def requeue_lost() -> int:
    """Re-send the inspection of documents pending for longer than ``LOST_AFTER``; returns how many."""
    now = datetime.now(UTC)
    with new_session() as session:
        lost = list(session.scalars(select(ReportDocument).where(
            ReportDocument.status == DocumentStatus.pending, ReportDocument.updated_at < now - LOST_AFTER)
            .limit(1000)).all())
        for document in lost:
            document.updated_at = now  # re-sent at most once per LOST_AFTER
        session.commit()
    for document in lost:
        send_now(INSPECT_TASK, str(document.id), queue=INSPECT_QUEUE)
    if lost:
        log.warning("re-sent the inspection of %d document(s) whose message was lost", len(lost))
    return len(lost)
