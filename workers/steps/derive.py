"""``derive``: every rendition of an asset made at upload (``media`` queue), dispatched on the kind the probe
recorded; and ``media.render_on_demand``: the renditions made only when asked for (``broadcast_1080p``, see
``service.assets.on_demand``), whose state is the asset's ``job`` row named after the rendition.

Keys are deterministic (``derived/{asset_id}/{name}.{ext}``; HLS under ``derived/{asset_id}/hls/``) and rows are
upserted, so a rerun after a crash or a retry overwrites the same set instead of adding one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from celery import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.video import GridSamples
from service.core.db import new_session
from service.core.storage import get_storage
from service.core.tasks import ON_DEMAND_TASK, enqueue
from service.db.asset import Asset, AssetKind, Job, JobStatus, Rendition
from workers import renditions
from workers.celery_app import app
from workers.ffmpeg import FfmpegError
from workers.pipeline import STALE_AFTER, TRANSIENT_ERRORS, _heartbeat, cpu_seconds, register
from workers.profiles import ON_DEMAND_PROFILES
from workers.rejections import Rejected
from workers.scratch import fetch_original, scratch_dir
from workers.steps import frames, image, video

log = logging.getLogger(__name__)
#: Soft limit of the whole step; each ffmpeg command gets what remains of it as its own timeout.
DERIVE_SOFT_SECONDS = 2 * 3600 - 300


@register("derive", soft_time_limit=DERIVE_SOFT_SECONDS, time_limit=2 * 3600, max_retries=3)
def derive(session: Session, asset: Asset, job: Job) -> None:
    if asset.kind is None:
        raise RuntimeError("derive ran before probe recorded the asset's kind")
    with scratch_dir("derive-") as folder:
        original = fetch_original(asset.original_key, folder)
        out_dir = folder / "out"
        out_dir.mkdir()
        if asset.kind == AssetKind.image:
            _derive_image(session, asset, original, out_dir)
        else:
            _derive_video(session, asset, original, out_dir)


def _derive_image(session: Session, asset: Asset, original: Path, out_dir: Path) -> None:
    for item in image.render(original, out_dir):
        renditions.save(session, asset.id, item.spec.name, item.path, mime=item.spec.mime,
                        key=renditions.rendition_key(asset.id, item.spec.name, item.spec.ext),
                        width=item.width, height=item.height)


def _source(asset: Asset, original: Path) -> video.Source:
    probe = asset.probe or {}
    return video.Source(
        path=original, fmt=str(probe.get("ffmpeg_format") or "mov"), width=asset.width or 0,
        height=asset.height or 0, frame_rate=float(probe.get("frame_rate") or 25.0),
        duration=float(asset.duration or 0.0), has_audio=bool(probe.get("audio")),
    )


def _corrupt(exc: FfmpegError) -> Rejected | None:
    # The probe accepted the file, so a decoder failure here still means the file is at fault.
    if "Invalid data" in exc.tail or "corrupt" in exc.tail.lower() or "error while decoding" in exc.tail:
        return Rejected("corrupt_video", "视频数据损坏，无法转码，请重新导出后上传",
                        "the video data is corrupt and cannot be transcoded; export it again and re-upload")
    return None


def _derive_video(session: Session, asset: Asset, original: Path, out_dir: Path) -> None:
    source = _source(asset, original)
    last_logged = [-1.0]

    def progress(fraction: float) -> None:
        if fraction - last_logged[0] >= 0.25 or fraction >= 1.0:
            last_logged[0] = fraction
            log.info("asset %s transcode %.0f%%", asset.id, fraction * 100)

    from workers.steps.dedupe import VIDEO_QUERY_STEP, store_video_hashes  # imported with every step

    samples = GridSamples(every=VIDEO_QUERY_STEP)  # the duplicate check's samples, from the same decode
    try:
        outputs, hls_dir, analysis = video.transcode(source, out_dir, timeout=DERIVE_SOFT_SECONDS,
                                                     on_progress=progress, samples=samples)
    except FfmpegError as exc:
        raise (_corrupt(exc) or exc) from exc
    for output in outputs:
        renditions.save(session, asset.id, output.name, output.path, mime=output.mime,
                        key=renditions.rendition_key(asset.id, output.name, "mp4"),
                        width=output.width, height=output.height)
    _store_hls(session, asset, hls_dir, outputs[0])
    frames.store(asset.id, analysis)
    store_video_hashes(asset.id, samples.frames)  # after ``frames.store``, which replaces the frames folder
    samples.frames.clear()
    keyframes = frames.as_keyframes(analysis)
    poster = out_dir / "poster.jpg"
    width, height = frames.write_poster(keyframes, poster)
    renditions.save(session, asset.id, "poster", poster, key=renditions.rendition_key(asset.id, "poster", "jpg"),
                    mime="image/jpeg", width=width, height=height)
    sheet, vtt, index = out_dir / "sprite.jpg", out_dir / "sprite.vtt", out_dir / "sprite.json"
    width, height = frames.write_sprite(keyframes, sheet, vtt, index, source.duration)
    renditions.save(session, asset.id, "sprite", sheet, key=renditions.rendition_key(asset.id, "sprite", "jpg"),
                    mime="image/jpeg", width=width, height=height)
    renditions.save(session, asset.id, "sprite_vtt", vtt, key=renditions.rendition_key(asset.id, "sprite", "vtt"),
                    mime="text/vtt")
    renditions.save(session, asset.id, "sprite_json", index,
                    key=renditions.rendition_key(asset.id, "sprite", "json"), mime="application/json")


def _store_hls(session: Session, asset: Asset, hls_dir: Path, top: video.Output) -> None:
    """Replace the asset's HLS folder as a whole (a rerun may cut a different number of segments)."""
    prefix = f"{renditions.derived_prefix(asset.id)}hls/"
    storage = get_storage()
    storage.delete_prefix(prefix)
    total = 0
    for path in sorted(hls_dir.iterdir()):
        if path.name == "master.m3u8":
            continue
        mime = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
        total += storage.put_file(f"{prefix}{path.name}", path, content_type=mime)
    # The master goes last: a reader who finds it finds every playlist and segment it names.
    master = hls_dir / "master.m3u8"
    total += storage.put_file(f"{prefix}master.m3u8", master, content_type="application/vnd.apple.mpegurl")
    renditions.upsert(session, asset.id, "hls", key=f"{prefix}master.m3u8", mime="application/vnd.apple.mpegurl",
                      width=top.width, height=top.height, size=total)


@app.task(name=ON_DEMAND_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3,
          soft_time_limit=DERIVE_SOFT_SECONDS, time_limit=2 * 3600, queue="media")  # type: ignore[untyped-decorator]
def render_on_demand(self: Task, asset_id: str, name: str) -> None:
    """Encode one on-demand rendition from the original; a duplicate delivery finds it done and stops."""
    profile = ON_DEMAND_PROFILES[name]
    with new_session() as session:
        claimed = _claim_on_demand(session, uuid.UUID(asset_id), name, f"{self.request.hostname}")
        if claimed is None:
            return
        asset, job = claimed
        stop = threading.Event()
        threading.Thread(target=_heartbeat, args=(job.id, stop), daemon=True).start()
        cpu_before = cpu_seconds()
        try:
            with scratch_dir("on-demand-") as folder:
                original = fetch_original(asset.original_key, folder)
                output = video.encode_on_demand(_source(asset, original), profile, folder,
                                                timeout=DERIVE_SOFT_SECONDS)
                renditions.save(session, asset.id, name, output.path, mime=output.mime,
                                key=renditions.rendition_key(asset.id, name, "mp4"), width=output.width,
                                height=output.height)
        except TRANSIENT_ERRORS as exc:
            session.rollback()
            _end_on_demand(asset.id, name, JobStatus.queued, f"{exc.__class__.__name__}: {exc}"[:2000])
            raise self.retry(exc=exc, countdown=min(300, 10 * 2 ** self.request.retries)) from exc
        except Exception as exc:  # recorded on the job row (the editor or outlet sees "failed"), never swallowed
            session.rollback()
            _end_on_demand(asset.id, name, JobStatus.failed, repr(exc)[:4000])
            raise
        finally:
            stop.set()
        job.status, job.finished_at, job.error = JobStatus.done, datetime.now(UTC), None
        job.cpu_seconds = round(cpu_seconds() - cpu_before, 3)
        # The outlets' copy with caption and credit written in is made next, so the download starts at once.
        enqueue(session, "portal.deliver", str(asset.id), name, queue="default")
        session.commit()


def _claim_on_demand(session: Session, asset_id: uuid.UUID, name: str, worker: str) -> tuple[Asset, Job] | None:
    asset = session.get(Asset, asset_id)
    job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == name).with_for_update())
    if asset is None or job is None or job.status == JobStatus.done:
        return None
    now = datetime.now(UTC)
    if job.status == JobStatus.running and job.heartbeat_at and now - job.heartbeat_at < STALE_AFTER:
        return None  # being made elsewhere
    if session.scalar(select(Rendition.id).where(Rendition.asset_id == asset_id, Rendition.name == name)):
        job.status, job.finished_at = JobStatus.done, now
        session.commit()
        return None
    job.status, job.attempts, job.worker = JobStatus.running, job.attempts + 1, worker
    job.started_at = job.heartbeat_at = now
    session.commit()
    return asset, job


def _end_on_demand(asset_id: uuid.UUID, name: str, status: JobStatus, error: str) -> None:
    with new_session() as session:
        job = session.scalar(select(Job).where(Job.asset_id == asset_id, Job.step == name))
        if job is not None:
            job.status, job.error = status, error
            job.finished_at = datetime.now(UTC) if status == JobStatus.failed else None
            session.commit()
