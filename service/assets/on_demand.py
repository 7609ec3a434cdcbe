"""Renditions made on demand (``broadcast_1080p``): requested when an editor features a video, when it joins a
collection, or when an outlet asks for it. The request is idempotent; its state is the ``job`` row named after the
rendition (queued → running → done | failed), so a lost or failed request is sent again by the next one."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.core.tasks import ON_DEMAND_RENDITIONS, ON_DEMAND_TASK, enqueue
from service.db.asset import Asset, AssetKind, AssetStatus, Job, JobStatus, Rendition

#: A queued request older than this is taken as lost (broker restart) and sent again.
RESEND_QUEUED_AFTER = timedelta(minutes=30)


class OnDemand(enum.StrEnum):
    available = "available"  # the rendition exists
    pending = "pending"  # queued or being made
    not_applicable = "not_applicable"  # not a processed video, or not an on-demand rendition


def is_on_demand(asset: Asset, name: str) -> bool:
    return name in ON_DEMAND_RENDITIONS and asset.kind == AssetKind.video


def request_rendition(session: Session, asset: Asset, name: str) -> OnDemand:
    """Make sure ``name`` exists or is being made for ``asset``; the task is sent after the caller's commit."""
    if not is_on_demand(asset, name) or asset.status != AssetStatus.ready:
        return OnDemand.not_applicable
    if session.scalar(select(Rendition.id).where(Rendition.asset_id == asset.id, Rendition.name == name)):
        return OnDemand.available
    job = session.scalar(select(Job).where(Job.asset_id == asset.id, Job.step == name).with_for_update())
    now = datetime.now(UTC)
    stale = timedelta(seconds=5 * get_settings().worker_heartbeat_seconds)
    if job is not None and (
        (job.status == JobStatus.queued and job.queued_at and now - job.queued_at < RESEND_QUEUED_AFTER)
        or (job.status == JobStatus.running and job.heartbeat_at and now - job.heartbeat_at < stale)
    ):
        return OnDemand.pending
    if job is None:
        job = Job(asset_id=asset.id, step=name, status=JobStatus.queued, queued_at=now)
        session.add(job)
    else:  # done without a rendition (deleted since), failed, lost or stale: ask again
        job.status, job.queued_at, job.error = JobStatus.queued, now, None
    session.flush()
    enqueue(session, ON_DEMAND_TASK, str(asset.id), name, queue="media")
    return OnDemand.pending


def request_all(session: Session, asset: Asset) -> None:
    """Every on-demand rendition of ``asset`` (a video that was featured or released)."""
    for name in ON_DEMAND_RENDITIONS:
        request_rendition(session, asset, name)
