"""Media pipeline benchmark: ratios against baselines measured in the same run.

    python -m tests.bench.bench_media [--photo PATH] [--reps 3] [--seconds 10]

Images, pinned to one core: our rendition set (6 files: thumb/preview/web × JPEG/WebP, one draft-decode, cascaded
resizes) vs (a) naive Pillow (per size: open, full decode, resize from full size) and (b) pyvips.Image.thumbnail per
size, same encoders and qualities. Video, all cores: our transcode (workers.ffmpeg runner, proxy + HLS) vs the same
argv through plain subprocess.run; the realtime factor of 1080p30 → proxy_720p alone; and the media CPU-seconds
per second of 1080p30 of the whole video pipeline before (broadcast_1080p for every upload, keyframes decoded by
derive, screen and dedupe each) and after (broadcast on demand, keyframes extracted once and read back as JPEGs).
``--only derive [--clip FILE]``: derive's media work as shipped, CPU-seconds per second of video (run it in two
checkouts, interleaved, to compare them).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

from workers.profiles import BROADCAST_1080P, IMAGE_RENDITIONS, IMAGE_SIZES, PROXY_720P, VIDEO_PROFILES
from workers.steps import frames, image, video

DEFAULT_PHOTO = Path(__file__).resolve().parents[3] / "shared/media/photos/lomiri16_Dragonfly_by_Bolly.jpg"


def twelve_megapixel_jpeg(source: Path | None, out: Path) -> Path:
    """A 4000×3000 JPEG (q90) from a real photo when available, else a synthetic one with fine detail."""
    if source and source.exists():
        picture = ImageOps.exif_transpose(Image.open(source)).convert("RGB").resize((4000, 3000), Image.LANCZOS)
    else:
        picture = Image.effect_noise((4000, 3000), 60).convert("RGB")
    path = out / "12mp.jpg"
    picture.save(path, "JPEG", quality=90)
    return path


def _save_all(picture: Image.Image, name: str, out: Path) -> None:
    for spec in (s for s in IMAGE_RENDITIONS if s.name in (name, f"{name}_webp")):
        picture.save(out / f"{spec.name}.{spec.ext}", spec.format, **dict(spec.options))


def naive_pillow(path: Path, out: Path, sizes: tuple[tuple[str, int], ...] = IMAGE_SIZES) -> None:
    for name, edge in sizes:
        with Image.open(path) as full:
            full.load()
            picture = image.to_srgb(ImageOps.exif_transpose(full))
            factor = min(1.0, edge / max(picture.size))
            resized = picture.resize((round(picture.width * factor), round(picture.height * factor)), Image.LANCZOS)
            resized.info = {}
            _save_all(resized, name, out)


def vips_thumbnail(path: Path, out: Path) -> None:
    import pyvips

    for name, edge in IMAGE_SIZES:
        thumb = pyvips.Image.thumbnail(str(path), edge, height=edge, size="down", export_profile="srgb").copy_memory()
        for spec in (s for s in IMAGE_RENDITIONS if s.name in (name, f"{name}_webp")):
            options = dict(spec.options)
            if spec.format == "JPEG":
                thumb.jpegsave(str(out / f"{spec.name}.jpg"), Q=options["quality"], interlace=False, strip=True)
            else:
                thumb.webpsave(str(out / f"{spec.name}.webp"), Q=options["quality"], effort=options["method"],
                               strip=True)


def ours(path: Path, out: Path) -> None:
    image.render(path, out)


THUMB_ONLY = (("thumb", 320),)


def ours_thumb(path: Path, out: Path) -> None:
    image.render(path, out, THUMB_ONLY)


def naive_thumb(path: Path, out: Path) -> None:
    naive_pillow(path, out, THUMB_ONLY)


def per_second(fn: Callable[[Path, Path], None], path: Path, reps: int) -> float:
    """Sets per CPU-second of this process (all its threads): robust on a machine shared with other jobs."""
    with tempfile.TemporaryDirectory() as tmp:
        fn(path, Path(tmp))  # warm caches and lazy imports
        started = time.process_time()
        for _ in range(reps):
            fn(path, Path(tmp))
        return reps / (time.process_time() - started)


def bench_images(photo: Path | None, reps: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.environ.setdefault("VIPS_CONCURRENCY", "1")
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        path = twelve_megapixel_jpeg(photo, Path(tmp))
        rates = {name: per_second(fn, path, reps) for name, fn in
                 (("ours", ours), ("naive_pillow", naive_pillow), ("pyvips_thumbnail", vips_thumbnail))}
    print(f"image rendition sets per CPU-second, one core (12 MP JPEG, 6 files each, {reps} reps):")  # noqa: T201
    for name, rate in rates.items():
        print(f"  {name:<18} {rate:6.2f}/s")  # noqa: T201
    print(f"  ours / naive_pillow     = {rates['ours'] / rates['naive_pillow']:.2f}x  (target >= 2)")  # noqa: T201
    print(f"  ours / pyvips_thumbnail = {rates['ours'] / rates['pyvips_thumbnail']:.2f}x  (target >= 1)")  # noqa: T201
    with tempfile.TemporaryDirectory() as tmp:
        path = twelve_megapixel_jpeg(photo, Path(tmp))
        thumb_ours, thumb_naive = per_second(ours_thumb, path, reps * 3), per_second(naive_thumb, path, reps * 3)
    print(f"  thumb + thumb_webp only: ours {thumb_ours:.2f}/s, naive {thumb_naive:.2f}/s "  # noqa: T201
          f"= {thumb_ours / thumb_naive:.2f}x (JPEG draft at 1/8 scale)")


def clip_1080p30(seconds: int, out: Path, preset: str = "veryfast") -> Path:
    """A 1080p30 ``testsrc2`` clip with a 440 Hz tone, x264 CRF 20 at ``preset`` (``ultrafast``: ≈ 18 Mb/s, a
    phone's bit rate, like bench_e2e's two-minute clip)."""
    from workers.ffmpeg import ffmpeg_binary

    path = out / f"1080p30-{preset}.mp4"
    subprocess.run([ffmpeg_binary(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
                    "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", preset, "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)], check=True)
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_video(seconds: int) -> None:
    from workers import ffmpeg as runner

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = video.Source(clip_1080p30(seconds, folder), "mov", 1920, 1080, 30.0, float(seconds), True)
        ours_dir, bare_dir = folder / "ours", folder / "bare"
        ours_dir.mkdir()
        started, cpu0 = time.perf_counter(), _children_cpu()
        outputs, _, _ = video.transcode(source, ours_dir, timeout=3600)
        ours_s, ours_cpu = time.perf_counter() - started, _children_cpu() - cpu0
        # The same commands, run bare (the argv our runner executed, re-targeted at another folder; the sampled
        # frames go to /dev/null instead of the analysis pipe).
        bare_dir.mkdir()
        upload_args, proxy, _ = video.upload_command(source, bare_dir, bare_dir / "hls", Path(os.devnull))
        started, cpu0 = time.perf_counter(), _children_cpu()
        subprocess.run(upload_args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        copy_args, _ = video.top_rung_command(proxy, bare_dir / "hls")
        subprocess.run(copy_args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare_s, bare_cpu = time.perf_counter() - started, _children_cpu() - cpu0
        # proxy_720p alone: realtime factor of the profile's encoder settings.
        import ffmpeg

        width, height = video.output_size(1920, 1080, PROXY_720P.short_side)
        inp = runner.safe_input(source.path, "mov")
        options = video._x264(PROXY_720P, crf=PROXY_720P.crf, preset=PROXY_720P.preset, maxrate=PROXY_720P.maxrate,
                              bufsize=PROXY_720P.bufsize, fps="30", audio_bitrate=PROXY_720P.audio_bitrate,
                              has_audio=True)
        graph = ffmpeg.output(inp.video.filter("scale", width, height), inp.audio.filter("loudnorm", I=-23, TP=-1,
                              LRA=7).filter("aresample", 48000), str(folder / "proxy.mp4"), **options)
        cpu0 = _children_cpu()
        proxy_s = runner.run(runner.command(graph), timeout=3600).seconds
        proxy_cpu = _children_cpu() - cpu0
    shutil.rmtree(folder, ignore_errors=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"video step on a {seconds} s 1080p30 clip ({cores} cores; wall and ffmpeg CPU seconds):")  # noqa: T201
    print(f"  ours (runner: proxy_720p + HLS + frame pipe)    {ours_s:7.2f} s wall {ours_cpu:7.2f} s CPU")  # noqa: T201
    print(f"  bare subprocess.run, same argv                  {bare_s:7.2f} s wall {bare_cpu:7.2f} s CPU")  # noqa: T201
    print(f"  ours / bare = {ours_s / bare_s:.3f} wall, {ours_cpu / bare_cpu:.3f} CPU  (target <= 1.10)")  # noqa: T201
    print(f"  proxy_720p alone: {seconds / proxy_s:.2f}x realtime (wall); "  # noqa: T201
          f"{seconds / (proxy_cpu / cores):.2f}x realtime if all {cores} cores were ours ({proxy_cpu:.1f} CPU s)")
    del outputs


def _cpu() -> float:
    """CPU seconds of this process (PyAV decodes in-process) and of its finished children (ffmpeg)."""
    return time.process_time() + _children_cpu()


def _old_nonkey_keyframes(proxy: Path) -> list[frames.Keyframe]:
    """What derive did before: decode the proxy's GOP keyframes (skip_frame=NONKEY) for poster and sprite."""
    import av

    found: list[frames.Keyframe] = []
    with av.open(str(proxy), format="mov") as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            found.append(frames.Keyframe(float(frame.time or 0.0), frame.to_image()))  # type: ignore[no-untyped-call]
    return found


def _old_ladder(proxy: video.Output, source: video.Source, hls_dir: Path) -> None:
    """What derive did before: the top rung by stream copy, then each smaller rung by a second ffmpeg decoding the
    proxy (same encoder settings as the one-command ladder)."""
    import ffmpeg

    from workers import ffmpeg as runner
    from workers.profiles import HLS_SEGMENT_SECONDS

    hls_dir.mkdir(parents=True, exist_ok=True)
    runner.run(video.top_rung_command(proxy, hls_dir)[0], timeout=3600)
    fps = video.output_fps(source.frame_rate, 30)
    for variant, width, height in video.ladder(proxy.width, proxy.height):
        inp = runner.safe_input(proxy.path, "mov")
        options = video._x264(None, crf=variant.crf, preset=variant.preset, maxrate=variant.maxrate,
                              bufsize=variant.bufsize, fps=fps, audio_bitrate=variant.audio_bitrate, has_audio=True)
        options.pop("movflags")
        runner.run(runner.command(ffmpeg.output(
            inp.video.filter("scale", width, height).filter("setsar", "1"), inp.audio,
            str(hls_dir / f"{variant.name}.m3u8"), hls_segment_filename=str(hls_dir / f"{variant.name}_%04d.ts"),
            f="hls", hls_time=HLS_SEGMENT_SECONDS, hls_playlist_type="vod", hls_flags="independent_segments",
            **options)), timeout=3600)


def _frames_round_trip(analysis: object, folder: Path) -> None:
    """The after path's storage work without S3: keyframes to JPEG, then read back thinned for screen and dedupe."""
    import io

    from models.video import VideoAnalysis

    assert isinstance(analysis, VideoAnalysis)
    stored = []
    for frame in analysis.keyframes:
        buffer = io.BytesIO()
        frame.image.save(buffer, "JPEG", quality=90)
        stored.append({"t": frame.t, "reason": frame.reason, "data": buffer.getvalue()})
    for every, cap in ((5.0, 40), (2.0, 120)):  # screen, dedupe
        for entry in frames.thin(stored, uniform_every=every, max_keyframes=cap):
            Image.open(io.BytesIO(entry["data"])).convert("RGB")


def bench_video_pipeline(seconds: int) -> None:
    """Media CPU-seconds per second of 1080p30, whole video pipeline, before and after (models excluded)."""
    from models.video import analyse_video
    from workers import ffmpeg as runner

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = video.Source(clip_1080p30(seconds, folder), "mov", 1920, 1080, 30.0, float(seconds), True)
        before_dir, after_dir, demand_dir = folder / "before", folder / "after", folder / "demand"
        for path in (before_dir, after_dir, demand_dir):
            path.mkdir()
        cpu0 = _cpu()
        args, outputs = video.mp4_renditions_command(source, before_dir, VIDEO_PROFILES)
        runner.run(args, timeout=3600, duration=source.duration)
        proxy = next(o for o in outputs if o.name == "proxy_720p")
        _old_ladder(proxy, source, before_dir / "hls")
        old = _old_nonkey_keyframes(proxy.path)
        frames.write_poster(old, before_dir / "poster.jpg")
        frames.write_sprite(old, before_dir / "s.jpg", before_dir / "s.vtt", before_dir / "s.json", seconds)
        analyse_video(proxy.path)  # screen decoded the proxy
        analyse_video(proxy.path, uniform_every=2.0, max_keyframes=120)  # and dedupe decoded it again
        before_cpu = _cpu() - cpu0

        cpu0 = _cpu()
        outputs, _, analysis = video.transcode(source, after_dir, timeout=3600)
        keyframes = frames.as_keyframes(analysis)
        frames.write_poster(keyframes, after_dir / "poster.jpg")
        frames.write_sprite(keyframes, after_dir / "s.jpg", after_dir / "s.vtt", after_dir / "s.json", seconds)
        _frames_round_trip(analysis, after_dir)
        after_cpu = _cpu() - cpu0

        cpu0 = _cpu()
        video.encode_on_demand(source, BROADCAST_1080P, demand_dir, timeout=3600)
        demand_cpu = _cpu() - cpu0
    print(f"video pipeline media work on a {seconds} s 1080p30 clip with audio "  # noqa: T201
          "(CPU-seconds per second of video; screening/hashing models excluded):")
    print(f"  before: proxy + broadcast for every upload, 3 decodes for frames  {before_cpu / seconds:6.2f}")  # noqa: T201
    print(f"  after:  one decode: proxy + 360p rung + sampled frames, top rung copy {after_cpu / seconds:6.2f} "  # noqa: T201
          f"({before_cpu / after_cpu:.2f}x less)")
    print(f"  on demand: broadcast_1080p when featured or asked for             {demand_cpu / seconds:6.2f}")  # noqa: T201
    print(f"  => {seconds / after_cpu:.2f} video-min per core-minute for this media work "  # noqa: T201
          f"(before {seconds / before_cpu:.2f}); the whole pipeline is measured by bench_e2e")


def bench_derive(seconds: int, clip: Path | None) -> None:
    """derive's media work as shipped (no S3/DB): the upload transcode with its keyframe analysis, keyframe JPEGs,
    poster, sprite; CPU seconds of this process and its ffmpeg children per second of video."""
    import io

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = clip or clip_1080p30(seconds, folder, "ultrafast")
        source = video.Source(path, "mov", 1920, 1080, 30.0, float(seconds), True)
        if clip is not None:
            from workers.video_probe import probe_video

            probe = probe_video(clip, "mov")
            source = video.Source(path, "mov", probe.width, probe.height, probe.frame_rate, probe.duration,
                                  bool(probe.info["audio"]))
        duration = source.duration
        out = folder / "out"
        out.mkdir()
        cpu0 = _cpu()
        _, _, analysis = video.transcode(source, out, timeout=7200)
        for frame in analysis.keyframes:
            frame.image.save(io.BytesIO(), "JPEG", quality=90)
        keyframes = frames.as_keyframes(analysis)
        frames.write_poster(keyframes, out / "poster.jpg")
        frames.write_sprite(keyframes, out / "s.jpg", out / "s.vtt", out / "s.json", duration)
        spent = _cpu() - cpu0
    print(f"derive media work on {path.name} ({duration:.0f} s): {spent:.2f} CPU-s, "  # noqa: T201
          f"{spent / duration:.3f} CPU-s per second of video")


def bench_threads(seconds: int) -> None:
    """Concurrency from measurement: the proxy encode with 1 thread vs ffmpeg's own choice, CPU and wall."""
    import ffmpeg

    from workers import ffmpeg as runner

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = clip_1080p30(seconds, folder)
        width, height = video.output_size(1920, 1080, PROXY_720P.short_side)
        results = {}
        for threads in (1, 0):
            options = video._x264(PROXY_720P, crf=PROXY_720P.crf, preset=PROXY_720P.preset,
                                  maxrate=PROXY_720P.maxrate, bufsize=PROXY_720P.bufsize, fps="30",
                                  audio_bitrate=PROXY_720P.audio_bitrate, has_audio=True) | {"threads": threads}
            inp = runner.safe_input(source, "mov")
            graph = ffmpeg.output(inp.video.filter("scale", width, height), inp.audio, str(folder / f"{threads}.mp4"),
                                  **options)
            cpu0 = _children_cpu()
            wall = runner.run(runner.command(graph), timeout=3600).seconds
            results[threads] = (_children_cpu() - cpu0, wall)
    one, auto = results[1], results[0]
    print(f"proxy_720p encode of a {seconds} s 1080p30 clip, {cores} cores visible:")  # noqa: T201
    print(f"  threads 1:    {one[0]:6.1f} CPU s, {one[1]:6.1f} s wall  "  # noqa: T201
          f"({one[0] / seconds:.2f} CPU-s per video-s)")
    print(f"  threads auto: {auto[0]:6.1f} CPU s, {auto[1]:6.1f} s wall  "  # noqa: T201
          f"({auto[0] / seconds:.2f} CPU-s per video-s; uses {auto[0] / auto[1]:.1f} cores)")
    print(f"  one thread per task costs {one[0] / auto[0]:.2f}x the CPU of ffmpeg's own threading")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", choices=("images", "video", "pipeline", "threads", "derive"))
    parser.add_argument("--clip", type=Path, help="--only derive: a 1080p30 file instead of the synthetic clip")
    args = parser.parse_args()
    if args.only == "derive":
        bench_derive(args.seconds, args.clip)
    if args.only in (None, "threads"):
        bench_threads(args.seconds)
    if args.only in (None, "pipeline"):
        bench_video_pipeline(args.seconds)
    if args.only in (None, "video"):
        bench_video(args.seconds)  # before bench_images, which pins this process to one core
    if args.only in (None, "images"):
        bench_images(args.photo, args.reps)


if __name__ == "__main__":
    main()
