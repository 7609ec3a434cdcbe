"""End-to-end throughput on real material: upload → ``ready`` with every registered step and every detector the
installation has (configured models where ``MEDIADESK_MODEL_DIR`` gives them; the report names what ran), per worker
core, three runs with their spread, against a bare baseline on the same files in the same run.

``python -m tests.bench.bench_e2e [--media ../shared/media] [--runs 3] [--report docs/PERFORMANCE.md]``

The photos and videos are the real files of ``--media`` (camera JPEG, HEIC, PNG; phone and camera H.264): photos
that the campaign's default resolution floor accepts (640×480), and every video (the bench campaign accepts short,
small clips so all three count). Each run uploads fresh byte-unique copies (a marker the readers ignore).

The worker runs with concurrency 1, pinned to one CPU with ``taskset`` (ffmpeg's threads share that core). CPU
seconds are the measure (wall time on a shared machine counts the neighbours' work): per step from the job rows
(``job.cpu_seconds``: the worker process and its ffmpeg children), and for the whole worker from its process tree
(``psutil``: also the Celery bookkeeping between steps). Wall-clock rates (upload → final) are reported beside
them. The baseline, CPU seconds too, measured in the same run on the same core: for photos a bare Pillow set
(decode, orient, 2560/1280/320 px, JPEG q82 + WebP m2 each); for videos one bare ffmpeg 720p H.264 veryfast CRF 23
+ AAC transcode.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.load.media import Sample, ffmpeg_exe, unique_copy
from tests.load.report import machine
from tests.load.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
#: ``../shared/media`` beside the checkout (one level further up for a git worktree under ``wt/``)
DEFAULT_MEDIA = next((p / "shared" / "media" for p in (ROOT.parent, ROOT.parent.parent)
                      if (p / "shared" / "media").is_dir()), ROOT.parent / "shared" / "media")
START, END = "<!-- bench-e2e:start -->", "<!-- bench-e2e:end -->"
MIN_PHOTO_PIXELS = 640 * 480  # the campaign default (service.db.campaign): smaller photos are refused at probe


@dataclass
class Phase:
    files: int
    seconds: float  # first byte sent → last asset final
    statuses: dict[str, int]
    step_cpu: dict[str, float]  # CPU seconds per step, from the job rows
    worker_cpu: float  # worker process tree, user + system
    media_seconds: float = 0.0


@dataclass
class Run:
    photos: Phase
    videos: Phase | None  # None: a photos-only run (--no-videos, or no videos in the media folder)
    base_photo_s: float  # bare baseline, seconds per photo
    base_video_s: float | None  # bare baseline, seconds per second of video (None without videos)
    detectors: dict[str, str] = field(default_factory=dict)


def pinned(args: list[str], cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu), *args] if shutil.which("taskset") else args


def real_samples(media: Path) -> tuple[list[Sample], list[Sample]]:
    """The real photos (≥ 640×480) and videos of ``media``."""
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    photos: list[Sample] = []
    for path in sorted((media / "photos").iterdir()):
        with Image.open(path) as image:
            if image.width * image.height >= MIN_PHOTO_PIXELS:
                photos.append(Sample(path.name, "image", path.read_bytes()))
    videos = [Sample(path.name, "video", path.read_bytes(), _duration(path))
              for path in sorted((media / "videos").iterdir())]
    return photos, videos


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def _tree_cpu(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a child that exited between listing and reading
                times = proc.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        return total
    except psutil.NoSuchProcess:
        return 0.0


def _statuses(ids: list[str]) -> dict[str, int]:
    from sqlalchemy import text

    from service.core.db import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT status::text, count(*) FROM asset WHERE id::text = ANY(:ids) GROUP BY 1"),
                            {"ids": ids}).all()
    return {status: int(n) for status, n in rows}


def _step_cpu(ids: list[str]) -> dict[str, float]:
    """CPU seconds per step, summed over ``ids``, as the job rows recorded them."""
    from sqlalchemy import inspect, text

    from service.core.db import get_engine

    # A tree from before job.cpu_seconds existed (to measure "before" side by side): its step wall seconds instead.
    has_cpu = "cpu_seconds" in {c["name"] for c in inspect(get_engine()).get_columns("job")}
    measure = "cpu_seconds" if has_cpu else "extract(epoch FROM finished_at - started_at)"
    with get_engine().connect() as conn:
        rows = conn.execute(text(
            f"SELECT step, sum({measure}) FROM job WHERE asset_id::text = ANY(:ids) AND status = 'done' "
            "GROUP BY step"), {"ids": ids}).all()
    return {step: float(seconds or 0) for step, seconds in rows}


def push(stack: Stack, samples: list[Sample], token: str, submission: str, worker_pid: int, timeout: float,
         marker: str) -> Phase:
    """Upload every sample, then wait until all of them are final."""
    from tests.load.tus import upload_simple

    ids: list[str] = []
    cpu0 = _tree_cpu(worker_pid)
    start = time.monotonic()
    for index, sample in enumerate(samples):
        response = upload_simple(stack.urls[0], token, unique_copy(sample, f"{marker}-{index}-{uuid.uuid4().hex}"),
                                 filename=sample.name, submission_id=submission)
        if response.status_code >= 400 or not response.headers.get("x-asset-id"):
            raise RuntimeError(f"upload of {sample.name} refused: {response.status_code} {response.text[:300]}")
        ids.append(response.headers["x-asset-id"])
    while time.monotonic() - start < timeout:
        now = _statuses(ids)
        if sum(now.get(s, 0) for s in ("ready", "rejected_invalid", "failed")) >= len(ids):
            break
        time.sleep(0.25)
    seconds = time.monotonic() - start
    return Phase(len(samples), seconds, _statuses(ids), _step_cpu(ids), _tree_cpu(worker_pid) - cpu0,
                 sum(s.seconds for s in samples))


BASELINE_PHOTOS = """
import io, sys, time
import pillow_heif
from PIL import Image, ImageOps
pillow_heif.register_heif_opener()
data = [open(p, 'rb').read() for p in sys.argv[1:]]
t = time.process_time()
for d in data:
    im = ImageOps.exif_transpose(Image.open(io.BytesIO(d))).convert('RGB')
    for edge in (2560, 1280, 320):
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        im.save(io.BytesIO(), 'JPEG', quality=82)
        im.save(io.BytesIO(), 'WEBP', quality=80, method=2)
print((time.process_time() - t) / len(data))
"""


def baseline_photos(samples: list[Sample], cpu: int) -> float:
    """CPU seconds per photo of a bare Pillow rendition set, on ``cpu``."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, sample in enumerate(samples):
            path = Path(tmp) / f"{i}-{sample.name}"
            path.write_bytes(sample.data)
            paths.append(str(path))
        out = subprocess.run(pinned([sys.executable, "-c", BASELINE_PHOTOS, *paths], cpu), capture_output=True,
                             text=True, check=True, timeout=900)
    return float(out.stdout.strip())


def baseline_videos(samples: list[Sample], cpu: int) -> float:
    """Core-seconds per second of video for one bare 720p H.264 veryfast CRF 23 + AAC transcode, on ``cpu``."""
    import resource

    def children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = children()
        for i, sample in enumerate(samples):
            source = Path(tmp) / f"{i}-{sample.name}"
            source.write_bytes(sample.data)
            subprocess.run(pinned([ffmpeg_exe(), "-v", "error", "-i", str(source), "-vf",
                                   "scale=-2:'min(720,ih)':flags=bicubic", "-c:v", "libx264", "-preset", "veryfast",
                                   "-crf", "23", "-c:a", "aac", "-movflags", "+faststart", "-y",
                                   str(Path(tmp) / f"{i}-720.mp4")], cpu),
                           check=True, timeout=900, stdin=subprocess.DEVNULL)
        return (children() - cpu0) / sum(s.seconds for s in samples)


def detectors_that_ran() -> dict[str, str]:
    """detector → ran | not configured, from the findings the bench's assets got (``qr`` and ``text`` leave a
    finding only when they find something)."""
    from sqlalchemy import text

    from service.core.db import get_engine
    from workers.screening import NOT_CONFIGURED

    with get_engine().connect() as conn:
        rows = conn.execute(text(
            "SELECT detector, bool_or(label = :skipped), bool_and(label = :skipped) FROM finding "
            "GROUP BY detector ORDER BY detector"), {"skipped": NOT_CONFIGURED}).all()
    return {d: ("not configured" if all_skipped else "ran" if not any_skipped else "ran on some")
            for d, any_skipped, all_skipped in rows}


def _campaign_accepts_real_clips(campaign_id: uuid.UUID) -> None:
    """The real clips are short (0.98 s) and small (640×272): the bench campaign takes them so all three count."""
    from sqlalchemy import update

    from service.core.db import session_scope
    from service.db.campaign import Campaign

    with session_scope() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id).values(min_video_height=240,
                                                                                   min_video_seconds=0.5))


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def report(args: argparse.Namespace, runs: list[Run], photos: list[Sample], videos: list[Sample],
           steps: str, argv: list[str]) -> list[str]:
    model_dir = os.environ.get("MEDIADESK_MODEL_DIR") or "not set"
    kinds = sorted({Path(s.name).suffix.lower() for s in photos})
    video_s = sum(s.seconds for s in videos)
    lines = [
        f"Command: `python -m tests.bench.bench_e2e {' '.join(argv)}`; machine: {machine()}; worker: 1 process, "
        f"concurrency 1, pinned to CPU {args.cpu} ({'taskset' if shutil.which('taskset') else 'not pinned'}); "
        f"steps: {steps}; `MEDIADESK_MODEL_DIR`: {model_dir}.", "",
        f"Material: {len(photos)} real photos from `{args.media}/photos` ({', '.join(kinds)}; ≥ 640×480, "
        f"{sum(len(s.data) for s in photos) / 1e6:.1f} MB) and {len(videos)} real videos from `{args.media}/videos` "
        f"({video_s:.1f} s in all); {len(runs)} runs, median (min–max).", "",
        "Detectors: " + ", ".join(f"{d} {state}" for d, state in runs[-1].detectors.items()) + ".", "",
        "| | per run | median (min–max) |", "|---|---|---:|",
    ]
    photo_wall = [r.photos.files / (r.photos.seconds / 60) for r in runs]
    photo_cpu = [r.photos.worker_cpu / r.photos.files for r in runs]
    photo_steps = [sum(r.photos.step_cpu.values()) / r.photos.files for r in runs]
    base_photo = [r.base_photo_s for r in runs]
    rows = [
        ("photo: step CPU seconds per photo (job rows)", photo_steps, "{:.2f}"),
        ("photo: worker CPU seconds per photo (process tree)", photo_cpu, "{:.2f}"),
        ("photo: bare Pillow set, CPU seconds per photo (same core)", base_photo, "{:.3f}"),
        ("photo: step CPU ÷ bare set (target ≤ 2)", [a / b for a, b in zip(photo_steps, base_photo, strict=True)],
         "{:.2f}"),
        ("**photos per worker core-minute** (60 ÷ worker CPU per photo)", [60 / c for c in photo_cpu], "{:.1f}"),
        ("photos per minute, wall clock, upload → final (shared machine)", photo_wall, "{:.1f}"),
    ]
    # A photos-only run has no video phase at all: its rows and column are left out, not divided by zero.
    video_runs = [(r.videos, r.base_video_s) for r in runs if r.videos is not None and r.base_video_s is not None]
    with_videos = bool(video_runs) and len(video_runs) == len(runs)
    if with_videos:
        video_wall = [v.media_seconds / 60 / (v.seconds / 60) for v, _ in video_runs]
        video_cpu = [v.worker_cpu / v.media_seconds for v, _ in video_runs]
        video_steps = [sum(v.step_cpu.values()) / v.media_seconds for v, _ in video_runs]
        base_video = [b for _, b in video_runs]
        rows += [
            ("video: step CPU seconds per second of video (job rows)", video_steps, "{:.2f}"),
            ("video: worker CPU seconds per second of video (process tree)", video_cpu, "{:.2f}"),
            ("video: bare ffmpeg 720p, CPU seconds per second of video", base_video, "{:.2f}"),
            ("video: worker CPU ÷ bare 720p", [a / b for a, b in zip(video_cpu, base_video, strict=True)],
             "{:.2f}"),
            ("**video-minutes per worker core-minute** (1 ÷ CPU per video-second)", [1 / c for c in video_cpu],
             "{:.2f}"),
            ("video-minutes per minute, wall clock, upload → final", video_wall, "{:.2f}"),
        ]
    for name, values, fmt in rows:
        lines.append(f"| {name} | {', '.join(fmt.format(v) for v in values)} | {spread(values, fmt)} |")
    lines += ["", "CPU seconds per step (job rows, median of the runs):", "",
              "| step | per photo | per second of video |" if with_videos else "| step | per photo |",
              "|---|---:|---:|" if with_videos else "|---|---:|"]
    names = [s.strip() for s in steps.split("→")]
    for step in names:
        per_photo = statistics.median(r.photos.step_cpu.get(step, 0.0) / r.photos.files for r in runs)
        if with_videos:
            per_video_s = statistics.median(v.step_cpu.get(step, 0.0) / v.media_seconds for v, _ in video_runs)
            lines.append(f"| {step} | {per_photo:.3f} | {per_video_s:.3f} |")
        else:
            lines.append(f"| {step} | {per_photo:.3f} |")
    last = runs[-1].videos
    lines += ["", "Final statuses (last run): photos " + str(runs[-1].photos.statuses)
              + ("; videos " + str(last.statuses) if last is not None else "; no videos (photos only)") + "."]
    return lines


def write_section(report_path: Path, lines: list[str]) -> None:
    block = "\n".join([START, *lines, END])
    text = report_path.read_text() if report_path.exists() else "# Performance\n"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n## End-to-end throughput (upload → ready, all steps)\n\n" + block + "\n"
    report_path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--photos", type=int, default=0, help="use only the first N photos (0: all)")
    parser.add_argument("--no-videos", action="store_true")
    parser.add_argument("--cpu", type=int, default=(os.cpu_count() or 1) - 1, help="core the worker is pinned to")
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args(argv)
    if not (args.media / "photos").is_dir():
        sys.exit(f"no real media at {args.media} (a checkout of the shared media folder is needed)")
    photos, videos = real_samples(args.media)
    photos = photos[: args.photos] if args.photos else photos
    videos = [] if args.no_videos else videos

    stack = Stack(Path(tempfile.mkdtemp(prefix="mediadesk-bench-")), api_count=1, worker_count=0)
    stack.start()
    runs: list[Run] = []
    try:
        from tests.load.stack import seed_world
        from tests.support import worker_process

        stack.workers = [worker_process(stack.env, stack.logs, name="bench-worker", concurrency=1)]
        stack.workers[0].args = pinned(stack.workers[0].args, args.cpu)
        stack.workers[0].start()
        world = seed_world(submitter_orgs=1, editors=1, outlets=1)
        _campaign_accepts_real_clips(world.campaign_id)
        actor, submission = world.submitters[0]
        # One warm-up file: the worker's first task loads every model (counted in no run).
        push(stack, photos[:1], actor.token, str(submission), stack.workers[0].proc.pid, 900, "warm")
        for number in range(args.runs):
            pid = stack.workers[0].proc.pid
            photo_phase = push(stack, photos, actor.token, str(submission), pid, 3600, f"run{number}")
            video_phase = (push(stack, videos, actor.token, str(submission), pid, 3600, f"run{number}v") if videos
                           else None)
            runs.append(Run(photo_phase, video_phase, baseline_photos(photos, args.cpu),
                            baseline_videos(videos, args.cpu) if videos else None, detectors_that_ran()))
            sys.stdout.write(f"run {number + 1}: photos {photo_phase.seconds:.1f} s"
                             + (f", videos {video_phase.seconds:.1f} s\n" if video_phase else "\n"))
            sys.stdout.flush()
        steps = _registered_steps()
    finally:
        stack.stop()
    lines = report(args, runs, photos, videos, steps, argv)
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
