"""Video renditions: ``proxy_720p`` at upload and the HLS preview ladder (the top rung the proxy cut by stream copy);
``broadcast_1080p`` on demand from the original (``encode_on_demand``). Poster and sprite come from the keyframes
(``workers.steps.frames``).

At upload the original is decoded once (``upload_command``): its picture, scaled to the proxy's size, is split
into the proxy encode, the smaller HLS rungs, the frames the keyframe analysis samples (written into a pipe that
``models.video.FrameSampler`` reads while ffmpeg runs) and the duplicate check's hashing samples (a second pipe,
``models.video.GridSamples``: the grid and size of ``sample_frames`` on the proxy); the loudness-normalised audio
feeds every output.

Output sizes are computed here from the probe's *display* size (ffmpeg auto-rotates on decode and drops the display
matrix), so rotated and vertical phone video comes out upright and vertical, and nothing is ever upscaled.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from models.video import (
    FrameSampler,
    GridSamples,
    VideoAnalysis,
    analysis_size,
    grid_select,
    sample_select,
    sample_size,
    sample_step,
)
from service.core.config import get_settings
from workers import ffmpeg as runner
from workers.profiles import (
    AUDIO_RATE,
    GOP_SECONDS,
    HLS_SEGMENT_SECONDS,
    HLS_VARIANTS,
    KEYFRAME_EVERY,
    KEYFRAME_MAX,
    LOUDNORM,
    PROXY_720P,
    HlsVariant,
    VideoProfile,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    path: Path
    fmt: str  # demuxer forced from the probe
    width: int  # display size
    height: int
    frame_rate: float
    duration: float
    has_audio: bool


@dataclass(frozen=True)
class Output:
    name: str
    path: Path
    width: int
    height: int
    mime: str


def output_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Scale so the shorter side is ``short_side`` at most (never upscaled); both sides even for yuv420p."""
    factor = min(1.0, short_side / min(width, height))
    return max(2, round(width * factor / 2) * 2), max(2, round(height * factor / 2) * 2)


def output_fps(frame_rate: float, cap: float) -> str:
    """Constant output rate: the source's average rate (VFR normalised to it), capped; NTSC rates kept exact."""
    rate = frame_rate if 1 <= frame_rate <= 240 else 25.0
    for ntsc, exact in ((23.976, "24000/1001"), (29.97, "30000/1001"), (59.94, "60000/1001")):
        if abs(rate - ntsc) < 0.01 and rate <= cap:
            return exact
    return f"{min(rate, cap):.3f}".rstrip("0").rstrip(".")


def _x264(profile: VideoProfile | None, *, crf: int, preset: str, maxrate: str, bufsize: str, fps: str,
          audio_bitrate: str, has_audio: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "threads": get_settings().ffmpeg_threads,  # per task: concurrency, not threads, uses the worker's cores
        "vcodec": "libx264", "preset": preset, "crf": crf, "maxrate": maxrate, "bufsize": bufsize,
        "pix_fmt": "yuv420p", "force_key_frames": f"expr:gte(t,n_forced*{GOP_SECONDS})", "r": fps,
        "fps_mode": "cfr", "movflags": "+faststart", "map_metadata": -1, "map_chapters": -1,
    }
    if profile is not None:
        options.update({"profile:v": profile.h264_profile, "level:v": profile.level})
    if has_audio:
        options.update({"acodec": "aac", "audio_bitrate": audio_bitrate, "ar": AUDIO_RATE, "ac": 2})
    return options


def mp4_renditions_command(source: Source, out_dir: Path, profiles: tuple[VideoProfile, ...]
                           ) -> tuple[list[str], list[Output]]:
    """One ffmpeg command writing every MP4 profile given: the source is decoded and loudness-measured once."""
    inp = runner.safe_input(source.path, source.fmt)
    count = len(profiles)
    video = inp.video.filter_multi_output("split", count) if count > 1 else None
    audio = (inp.audio.filter("loudnorm", **LOUDNORM).filter("aresample", AUDIO_RATE)
             .filter_multi_output("asplit", count) if source.has_audio else None)
    streams, outputs = [], []
    for index, profile in enumerate(profiles):
        width, height = output_size(source.width, source.height, profile.short_side)
        fps = output_fps(source.frame_rate, profile.max_fps)
        branch = video.stream(index) if video is not None else inp.video
        path = out_dir / f"{profile.name}.mp4"
        parts = [_scaled(branch, fps, width, height)] + ([audio.stream(index)] if audio is not None else [])
        streams.append(ffmpeg.output(*parts, str(path), **_mp4_options(profile, source, fps)))
        outputs.append(Output(profile.name, path, width, height, "video/mp4"))
    return runner.command(ffmpeg.merge_outputs(*streams)), outputs


def _scaled(branch: Any, fps: str, width: int, height: int) -> Any:
    return branch.filter("fps", fps=fps).filter("scale", width, height, flags="bicubic").filter("setsar", "1")


def _mp4_options(profile: VideoProfile, source: Source, fps: str) -> dict[str, Any]:
    options = _x264(profile, crf=profile.crf, preset=profile.preset, maxrate=profile.maxrate, bufsize=profile.bufsize,
                    fps=fps, audio_bitrate=profile.audio_bitrate, has_audio=source.has_audio)
    if not source.has_audio:
        options["an"] = None
    return options


@dataclass(frozen=True)
class Rung:
    """A variant of the HLS ladder: its playlist name, size and the bandwidth the master playlist announces."""

    name: str
    width: int
    height: int
    bandwidth: int


def _segment_options(hls_dir: Path, name: str) -> dict[str, Any]:
    return {"f": "hls", "hls_time": HLS_SEGMENT_SECONDS, "hls_playlist_type": "vod",
            "hls_flags": "independent_segments", "hls_segment_filename": str(hls_dir / f"{name}_%04d.ts")}


def ladder(proxy_width: int, proxy_height: int) -> list[tuple[HlsVariant, int, int]]:
    """The rungs below the proxy, with their sizes: never upscaled, the ladder only steps down. None unless
    ``hls_low_rungs`` is set: by default the ladder is the proxy alone, by stream copy (issue 15)."""
    if not get_settings().hls_low_rungs:
        return []
    return [(variant, *output_size(proxy_width, proxy_height, variant.short_side)) for variant in HLS_VARIANTS
            if variant.short_side < min(proxy_width, proxy_height)]


def upload_command(source: Source, out_dir: Path, hls_dir: Path, frames_to: Path,
                   samples: tuple[GridSamples, Path] | None = None) -> tuple[list[str], Output, list[Rung]]:
    """The upload's one ffmpeg command: ``proxy_720p``, every HLS rung below it (encoded from the proxy's scaled
    picture, same GOP, so segments cut at the forced keyframes), the sampled frames of the keyframe analysis as
    raw RGB in NUT (``frames_to``, a pipe) and, given ``samples``, the hashing samples on its grid (into its pipe).
    Returns the argv, the proxy and the rungs it encodes."""
    profile = PROXY_720P
    hls_dir.mkdir(parents=True, exist_ok=True)
    inp = runner.safe_input(source.path, source.fmt)
    width, height = output_size(source.width, source.height, profile.short_side)
    fps = output_fps(source.frame_rate, profile.max_fps)
    rungs = ladder(width, height)
    picture = _scaled(inp.video, fps, width, height).filter_multi_output(
        "split", 2 + len(rungs) + (samples is not None))
    audio = (inp.audio.filter("loudnorm", **LOUDNORM).filter("aresample", AUDIO_RATE)
             .filter_multi_output("asplit", 1 + len(rungs)) if source.has_audio else None)

    def with_audio(index: int) -> list[Any]:
        return [audio.stream(index)] if audio is not None else []

    proxy = Output(profile.name, out_dir / f"{profile.name}.mp4", width, height, "video/mp4")
    streams = [ffmpeg.output(picture.stream(0), *with_audio(0), str(proxy.path),
                             **_mp4_options(profile, source, fps))]
    encoded = []
    for index, (variant, rung_width, rung_height) in enumerate(rungs, start=1):
        options = _x264(None, crf=variant.crf, preset=variant.preset, maxrate=variant.maxrate,
                        bufsize=variant.bufsize, fps=fps, audio_bitrate=variant.audio_bitrate,
                        has_audio=source.has_audio)
        options.pop("movflags")
        scaled = picture.stream(index).filter("scale", rung_width, rung_height).filter("setsar", "1")
        streams.append(ffmpeg.output(scaled, *with_audio(index), str(hls_dir / f"{variant.name}.m3u8"), **options,
                                     **_segment_options(hls_dir, variant.name)))
        encoded.append(Rung(variant.name, rung_width, rung_height, _rate_bits(variant.maxrate)))
    frame_width, frame_height = analysis_size(width, height)
    sampled = (picture.stream(1 + len(rungs)).filter("select", sample_select())
               .filter("scale", frame_width, frame_height, flags="bilinear").filter("format", "rgb24"))
    streams.append(ffmpeg.output(sampled, str(frames_to), f="nut", vcodec="rawvideo", fps_mode="passthrough"))
    if samples is not None:
        grid, samples_to = samples
        step = sample_step(source.duration, grid.every, grid.max_frames)
        sample_width, sample_height = sample_size(width, height, grid.side)
        hashed = (picture.stream(2 + len(rungs)).filter("select", grid_select(step))
                  .filter("scale", sample_width, sample_height, flags="area").filter("format", "gray"))
        streams.append(ffmpeg.output(hashed, str(samples_to), f="nut", vcodec="rawvideo", fps_mode="passthrough"))
    return runner.command(ffmpeg.merge_outputs(*streams)), proxy, encoded


def top_rung_command(proxy: Output, hls_dir: Path) -> tuple[list[str], Rung]:
    """The ladder's top rung: the proxy cut into segments by stream copy (its keyframes are forced every GOP)."""
    name = f"{min(proxy.width, proxy.height)}p"
    args = runner.command(ffmpeg.output(runner.safe_input(proxy.path, "mov"), str(hls_dir / f"{name}.m3u8"),
                                        c="copy", **_segment_options(hls_dir, name)))
    return args, Rung(name, proxy.width, proxy.height, 0)


def _rate_bits(rate: str) -> int:
    units = {"k": 1_000, "M": 1_000_000}
    return int(float(rate[:-1]) * units[rate[-1]]) if rate[-1] in units else int(rate)


def _bandwidth(path: Path, duration: float) -> int:
    if duration <= 0:
        return 3_000_000
    return int(path.stat().st_size * 8 / duration * 1.2)


def write_master(hls_dir: Path, rungs: list[Rung]) -> Path:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in sorted(rungs, key=lambda r: r.bandwidth):
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={rung.bandwidth},RESOLUTION={rung.width}x{rung.height}",
                  f"{rung.name}.m3u8"]
    master = hls_dir / "master.m3u8"
    master.write_text("\n".join(lines) + "\n")
    return master


def transcode(source: Source, out_dir: Path, *, timeout: float, on_progress: Callable[[float], None] | None = None,
              samples: GridSamples | None = None) -> tuple[list[Output], Path, VideoAnalysis]:
    """Every ffmpeg command of the video step (the upload command, then the top rung's stream copy); returns the MP4
    outputs, the HLS folder and the keyframe analysis made from the same decode. Given ``samples``, its frames are
    filled from the same decode too."""
    hls_dir = out_dir / "hls"
    frames_to = out_dir / "frames.nut"
    samples_to = out_dir / "samples.nut"
    args, proxy, rungs = upload_command(source, out_dir, hls_dir, frames_to,
                                        (samples, samples_to) if samples is not None else None)
    sampler = FrameSampler(uniform_every=KEYFRAME_EVERY)
    with contextlib.ExitStack() as pipes:  # both pipes drained while ffmpeg runs, or it blocks on the full one
        pipes.enter_context(runner.FramePipe(frames_to, sampler.read))
        if samples is not None:
            pipes.enter_context(runner.FramePipe(samples_to, samples.read))
        runner.run(args, timeout=timeout, duration=source.duration, on_progress=on_progress)
    analysis = sampler.finish(proxy.path, max_keyframes=KEYFRAME_MAX)
    copy_args, top = top_rung_command(proxy, hls_dir)
    runner.run(copy_args, timeout=timeout, duration=source.duration)
    top = Rung(top.name, top.width, top.height, _bandwidth(proxy.path, source.duration))
    write_master(hls_dir, [top, *rungs])
    return [proxy], hls_dir, analysis


def encode_on_demand(source: Source, profile: VideoProfile, out_dir: Path, *, timeout: float) -> Output:
    """Encode one on-demand profile (``broadcast_1080p``) from the original."""
    args, outputs = mp4_renditions_command(source, out_dir, (profile,))
    runner.run(args, timeout=timeout, duration=source.duration)
    return outputs[0]
