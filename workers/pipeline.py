"""Pipeline tasks (filled in by the processing work)."""

from __future__ import annotations

from workers.celery_app import app


@app.task(name="pipeline.sweep")
def sweep() -> int:
    return 0
