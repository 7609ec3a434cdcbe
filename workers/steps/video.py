"""Video renditions: ``proxy_720p`` at upload and the HLS preview ladder cut from it (the top rung by stream copy);
``broadcast_1080p`` on demand from the original (``encode_on_demand``). Poster and sprite come from the keyframes
(``workers.steps.frames``).

Output sizes are computed here from the probe's *display* size (ffmpeg auto-rotates on decode and drops the display
matrix), so rotated and vertical phone video comes out upright and vertical, and nothing is ever upscaled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from service.core.config import get_settings
from workers import ffmpeg as runner
from workers.profiles import (
    AUDIO_RATE,
    GOP_SECONDS,
    HLS_SEGMENT_SECONDS,
    HLS_VARIANTS,
    LOUDNORM,
    UPLOAD_PROFILES,
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


def mp4_renditions_command(source: Source, out_dir: Path, profiles: tuple[VideoProfile, ...] = UPLOAD_PROFILES
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
        scaled = (branch.filter("fps", fps=fps).filter("scale", width, height, flags="bicubic")
                  .filter("setsar", "1"))
        path = out_dir / f"{profile.name}.mp4"
        parts = [scaled] + ([audio.stream(index)] if audio is not None else [])
        options = _x264(profile, crf=profile.crf, preset=profile.preset, maxrate=profile.maxrate,
                        bufsize=profile.bufsize, fps=fps, audio_bitrate=profile.audio_bitrate,
                        has_audio=source.has_audio)
        if not source.has_audio:
            options["an"] = None
        streams.append(ffmpeg.output(*parts, str(path), **options))
        outputs.append(Output(profile.name, path, width, height, "video/mp4"))
    return runner.command(ffmpeg.merge_outputs(*streams)), outputs


def hls_commands(proxy: Output, source: Source, hls_dir: Path) -> tuple[list[list[str]], list[tuple[str, int, int,
                                                                                                          int]]]:
    """The ladder: the proxy cut into segments by stream copy, plus smaller encodes from the proxy."""
    hls_dir.mkdir(parents=True, exist_ok=True)
    segment_options = {"f": "hls", "hls_time": HLS_SEGMENT_SECONDS, "hls_playlist_type": "vod",
                       "hls_flags": "independent_segments"}
    top = f"{min(proxy.width, proxy.height)}p"
    commands = [runner.command(ffmpeg.output(
        runner.safe_input(proxy.path, "mov"), str(hls_dir / f"{top}.m3u8"), c="copy",
        hls_segment_filename=str(hls_dir / f"{top}_%04d.ts"), **segment_options))]
    variants = [(top, proxy.width, proxy.height, _bandwidth(proxy.path, source.duration))]
    for variant in HLS_VARIANTS:
        if variant.short_side >= min(proxy.width, proxy.height):
            continue  # never upscaled: the ladder only steps down
        width, height = output_size(proxy.width, proxy.height, variant.short_side)
        inp = runner.safe_input(proxy.path, "mov")
        fps = output_fps(source.frame_rate, 30)
        parts = [inp.video.filter("scale", width, height).filter("setsar", "1")]
        if source.has_audio:
            parts.append(inp.audio)
        options = _x264(None, crf=variant.crf, preset="veryfast", maxrate=variant.maxrate, bufsize=variant.bufsize,
                        fps=fps, audio_bitrate=variant.audio_bitrate, has_audio=source.has_audio)
        options.pop("movflags")
        commands.append(runner.command(ffmpeg.output(
            *parts, str(hls_dir / f"{variant.name}.m3u8"),
            hls_segment_filename=str(hls_dir / f"{variant.name}_%04d.ts"), **options, **segment_options)))
        variants.append((variant.name, width, height, _rate_bits(variant.maxrate)))
    return commands, variants


def _rate_bits(rate: str) -> int:
    units = {"k": 1_000, "M": 1_000_000}
    return int(float(rate[:-1]) * units[rate[-1]]) if rate[-1] in units else int(rate)


def _bandwidth(path: Path, duration: float) -> int:
    if duration <= 0:
        return 3_000_000
    return int(path.stat().st_size * 8 / duration * 1.2)


def write_master(hls_dir: Path, variants: list[tuple[str, int, int, int]]) -> Path:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, width, height, bandwidth in sorted(variants, key=lambda v: v[3]):
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={width}x{height}", f"{name}.m3u8"]
    master = hls_dir / "master.m3u8"
    master.write_text("\n".join(lines) + "\n")
    return master


def transcode(source: Source, out_dir: Path, *, timeout: float,
              on_progress: Callable[[float], None] | None = None) -> tuple[list[Output], Path]:
    """Run every ffmpeg command of the video step; returns the MP4 outputs and the HLS folder."""
    args, outputs = mp4_renditions_command(source, out_dir)
    runner.run(args, timeout=timeout, duration=source.duration, on_progress=on_progress)
    proxy = next(o for o in outputs if o.name == "proxy_720p")
    hls_dir = out_dir / "hls"
    commands, variants = hls_commands(proxy, source, hls_dir)
    for hls_args in commands:
        runner.run(hls_args, timeout=timeout, duration=source.duration)
    write_master(hls_dir, variants)
    return outputs, hls_dir


def encode_on_demand(source: Source, profile: VideoProfile, out_dir: Path, *, timeout: float) -> Output:
    """Encode one on-demand profile (``broadcast_1080p``) from the original."""
    args, outputs = mp4_renditions_command(source, out_dir, (profile,))
    runner.run(args, timeout=timeout, duration=source.duration)
    return outputs[0]
