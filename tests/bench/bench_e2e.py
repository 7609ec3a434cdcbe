"""End-to-end throughput: photos per minute and video minutes per minute per worker core, upload → ``ready`` with
every registered step (screening included), and the cores the week needs.

``python -m tests.bench.bench_e2e [--photos 40] [--videos 4] [--report docs/PERFORMANCE.md]``

The worker runs with concurrency 1, pinned to one CPU with ``taskset`` when available (ffmpeg's threads then share
that core). The baseline, measured in the same run on the same core, is the bare work a rendition set needs (Pillow
draft + thumbnails for photos; one ffmpeg 720p transcode for videos): the ratio says what the rest of the pipeline
(verify, probe, screening, dedupe, tagging, bookkeeping) costs on top.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.load.media import Sample, ffmpeg_exe, photo, unique_copy, video
from tests.load.report import machine
from tests.load.stack import Stack

WEEK_PHOTOS, WEEK_VIDEOS, WEEK_DAYS, PEAK_FACTOR = 1_000_000, 100_000, 7, 4
ASSUMED_VIDEO_MINUTES = 2.0  # average length of a submitted clip (the notice asks for short activity videos)
START, END = "<!-- bench-e2e:start -->", "<!-- bench-e2e:end -->"


@dataclass
class Phase:
    files: int
    seconds: float
    statuses: dict[str, int]
    media_minutes: float = 0.0


def pinned(args: list[str], cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu), *args] if shutil.which("taskset") else args


def statuses(campaign_id: str) -> dict[str, int]:
    from sqlalchemy import text

    from service.core.db import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT status::text, count(*) FROM asset WHERE campaign_id = :c GROUP BY 1"),
                            {"c": campaign_id}).all()
    return {status: int(n) for status, n in rows}


def push(stack: Stack, samples: list[Sample], token: str, submission: str, campaign: str, timeout: float) -> Phase:
    """Upload every sample, then wait until all of them are final; seconds from the first byte to the last final."""
    from tests.load.tus import upload_simple

    before = sum(statuses(campaign).values())
    start = time.monotonic()
    for index, sample in enumerate(samples):
        response = upload_simple(stack.urls[0], token, unique_copy(sample, f"bench-{index}-{time.time_ns()}"),
                                 filename=sample.name, submission_id=submission)
        if response.status_code >= 400:
            raise RuntimeError(f"upload of {sample.name} refused: {response.status_code} {response.text[:300]}")
    while time.monotonic() - start < timeout:
        now = statuses(campaign)
        final = sum(now.get(s, 0) for s in ("ready", "rejected_invalid", "failed"))
        if final - before >= len(samples) and sum(now.values()) - before >= len(samples):
            break
        time.sleep(0.5)
    return Phase(len(samples), time.monotonic() - start, statuses(campaign),
                 sum(s.seconds for s in samples) / 60)


def baseline_photos(samples: list[Sample], cpu: int) -> float:
    """Photos per minute for bare Pillow draft + thumb/preview/web JPEGs, on ``cpu``."""
    code = (
        "import io,sys,time\nfrom PIL import Image\n"
        "data=[open(p,'rb').read() for p in sys.argv[1:]]\nt=time.perf_counter()\n"
        "for d in data:\n"
        "  for size in (320,1280,2560):\n"
        "    im=Image.open(io.BytesIO(d)); im.draft('RGB',(size,size))\n"
        "    im=im.convert('RGB'); im.thumbnail((size,size))\n"
        "    im.save(io.BytesIO(),'JPEG',quality=85)\n"
        "print(len(data)/(time.perf_counter()-t)*60)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, sample in enumerate(samples):
            path = Path(tmp) / f"{i}.jpg"
            path.write_bytes(sample.data)
            paths.append(str(path))
        out = subprocess.run(pinned([sys.executable, "-c", code, *paths], cpu), capture_output=True, text=True,
                             check=True, timeout=600)
    return float(out.stdout.strip())


def baseline_videos(samples: list[Sample], cpu: int) -> float:
    """Video minutes per minute for one bare 720p H.264 veryfast CRF 23 + AAC transcode, on ``cpu``."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        for i, sample in enumerate(samples):
            source = Path(tmp) / f"{i}.mp4"
            source.write_bytes(sample.data)
            subprocess.run(pinned([ffmpeg_exe(), "-v", "error", "-i", str(source), "-vf", "scale=-2:720",
                                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac",
                                   "-movflags", "+faststart", "-y", str(Path(tmp) / f"{i}-720.mp4")], cpu),
                           check=True, timeout=600, stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - start
    return sum(s.seconds for s in samples) / 60 / (elapsed / 60)


def week_cores(photos_per_min: float, video_min_per_min: float) -> list[str]:
    photo_core_min = WEEK_PHOTOS / photos_per_min if photos_per_min else float("inf")
    video_core_min = WEEK_VIDEOS * ASSUMED_VIDEO_MINUTES / video_min_per_min if video_min_per_min else float("inf")
    minutes = WEEK_DAYS * 24 * 60
    average = (photo_core_min + video_core_min) / minutes
    return [
        f"* photos: {WEEK_PHOTOS:,} ÷ {photos_per_min:.1f} per core-minute = {photo_core_min:,.0f} core-minutes",
        f"* videos: {WEEK_VIDEOS:,} × {ASSUMED_VIDEO_MINUTES:.0f} min (assumed average) ÷ {video_min_per_min:.2f} "
        f"video-min per core-minute = {video_core_min:,.0f} core-minutes",
        f"* spread evenly over {WEEK_DAYS} days ({minutes:,} minutes): {average:.1f} worker cores on average",
        f"* with a {PEAK_FACTOR}× evening peak: **{average * PEAK_FACTOR:.0f} worker cores** at the peak "
        f"(plus API, database and storage; queues absorb short bursts above that)",
    ]


def write_section(report: Path, lines: list[str]) -> None:
    block = "\n".join([START, *lines, END])
    text = report.read_text() if report.exists() else "# Performance\n"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## End-to-end throughput (upload → ready, all steps)\n\n" + block + "\n"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--video-seconds", type=float, default=10.0)
    parser.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1, help="core the worker is pinned to")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)

    renders = [Sample(f"photo-{i}.jpg", "image", photo(4000, 3000, 100 + i)) for i in range(min(8, args.photos))]
    photos = [renders[i % len(renders)] for i in range(args.photos)]
    clips = [Sample(f"clip-{i}.mp4", "video", video(args.video_seconds, 1920, 1080, seed=i), args.video_seconds)
             for i in range(args.videos)]
    stack = Stack(Path(tempfile.mkdtemp(prefix="mediadesk-bench-")), api_count=1, worker_count=0)
    stack.start()
    try:
        from tests.load.stack import seed_world
        from tests.support import worker_process

        stack.workers = [worker_process(stack.env, stack.logs, name="bench-worker", concurrency=1)]
        stack.workers[0].args = pinned(stack.workers[0].args, args.cpu)
        stack.workers[0].start()
        world = seed_world(submitter_orgs=1, editors=1, outlets=1)
        actor, submission = world.submitters[0]
        campaign = str(world.campaign_id)
        photo_phase = push(stack, photos, actor.token, str(submission), campaign, timeout=3600)
        video_phase = push(stack, clips, actor.token, str(submission), campaign, timeout=3600)
        steps = _registered_steps()
    finally:
        stack.stop()
    photo_rate = photo_phase.files / (photo_phase.seconds / 60)
    video_rate = video_phase.media_minutes / (video_phase.seconds / 60)
    base_photo, base_video = baseline_photos(renders, args.cpu), baseline_videos(clips[:2], args.cpu)
    lines = [
        f"Command: `python -m tests.bench.bench_e2e {' '.join(argv if argv is not None else sys.argv[1:])}`; machine: "
        f"{machine()}; worker: 1 process, concurrency 1, pinned to CPU {args.cpu} "
        f"({'taskset' if shutil.which('taskset') else 'not pinned: no taskset'}); steps: {steps}.", "",
        "| media | files | upload → final (s) | per worker core | bare baseline, same core | ratio |",
        "|---|---:|---:|---:|---:|---:|",
        f"| photos 12 MP JPEG | {photo_phase.files} | {photo_phase.seconds:.1f} | {photo_rate:.1f} photos/min | "
        f"{base_photo:.1f} photos/min (Pillow draft + 3 sizes) | {photo_rate / base_photo:.2f} |",
        f"| video 1080p30 {args.video_seconds:.0f} s H.264/AAC | {video_phase.files} | {video_phase.seconds:.1f} | "
        f"{video_rate:.2f} video-min/min | {base_video:.2f} video-min/min (one bare 720p transcode) | "
        f"{video_rate / base_video:.2f} |",
        "", f"Final statuses: photos {photo_phase.statuses}; after videos {video_phase.statuses}.", "",
        "Cores for the week (arithmetic):", "", *week_cores(photo_rate, video_rate),
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    if args.report:
        write_section(args.report, lines)
    return 0


def _registered_steps() -> str:
    try:
        from workers.pipeline import order

        return " → ".join(order())
    except Exception as exc:  # the bench still reports when workers cannot be imported here
        return f"unknown ({exc.__class__.__name__})"


if __name__ == "__main__":
    sys.exit(main())
