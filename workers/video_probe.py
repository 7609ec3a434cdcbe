"""What a video is, through PyAV (no ffprobe here): container, codecs, display size and rotation, frame rate
(constant or variable), duration, audio streams, creation time and ISO 6709 location.

The demuxer is forced from content sniffing and only file-based containers are allowed, so a playlist never reaches
a network or file-opening demuxer. Truncation is found by demuxing every packet (I/O only, no decoding) and
decoding the first frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from service.core.exif import bounded
from service.core.media_types import BY_CODE, DEMUXERS
from service.core.text import clean_text
from workers.rejections import Rejected

#: PyAV container format names we accept: the demuxers of ``service.core.media_types`` under the names PyAV reports
#: (others, e.g. hls, concat, image2, are refused).
ALLOWED_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mov", "matroska,webm": "matroska"} | {d: d for d in DEMUXERS}
VFR_TOLERANCE = 0.02
SAMPLE_PACKETS = 600
ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


@dataclass
class VideoProbe:
    container: str
    mime: str
    width: int  # display orientation (after the display matrix)
    height: int
    rotation: int
    duration: float
    frame_rate: float
    info: dict[str, Any] = field(default_factory=dict)
    capture_time: datetime | None = None
    gps: tuple[float, float] | None = None


def _corrupt(exc: BaseException) -> Rejected:
    return Rejected("corrupt_video", "视频文件损坏或不完整（可能上传中断或缺少 moov 索引），请重新导出后上传",
                    f"the video is corrupt or incomplete ({exc.__class__.__name__}: missing index or broken data); "
                    "export it again and re-upload")


def probe_video(path: Path, ffmpeg_format: str, mime: str | None = None) -> VideoProbe:
    """Probe a video with its demuxer forced; ``mime`` is the sniffed type's (else the demuxer's first type's)."""
    mime = mime or next(t.mime for t in BY_CODE.values() if t.demuxer == ffmpeg_format)
    try:
        container = av.open(str(path), format=ffmpeg_format, options={"protocol_whitelist": "file"})
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise _corrupt(exc) from exc
    with container:
        fmt = container.format.name
        if fmt not in ALLOWED_CONTAINERS:
            raise Rejected("unsupported_format", f"不支持的视频封装格式 {fmt}", f"unsupported video container {fmt}")
        if not container.streams.video:
            raise Rejected("no_video_stream", "文件中没有视频画面（仅有音频或为空），请上传视频文件",
                           "the file has no video stream (audio only or empty); upload a video")
        stream = container.streams.video[0]
        audio = [{"codec": a.codec_context.name, "channels": a.codec_context.channels,
                  "sample_rate": a.codec_context.sample_rate,
                  "language": clean_text(str(a.metadata.get("language") or ""), multiline=False) or None}
                 for a in container.streams.audio]
        rotation, frames_ok = _first_frames(container, stream)
        if not frames_ok:
            raise _corrupt(ValueError("no decodable frame"))
        declared = _declared_duration(container, stream)
        last_end, deltas = _demux_all(container, stream)
        if declared and last_end < declared * 0.9 - 0.5:
            raise Rejected("truncated_video", f"视频不完整：声明时长 {declared:.1f} 秒，实际只有 {last_end:.1f} 秒数据",
                           f"the video is truncated: {declared:.1f} s declared, data for {last_end:.1f} s only")
        duration = declared or last_end
        avg = float(stream.average_rate or stream.guessed_rate or 0)
        vfr = _variable(deltas)
        raw_w, raw_h = stream.codec_context.width, stream.codec_context.height
        width, height = (raw_h, raw_w) if rotation % 180 == 90 else (raw_w, raw_h)
        # Container tags are text from the file: cleaned like every other text (JSONB refuses NUL).
        tags = {k.lower(): clean_text(str(v), multiline=False) for k, v in container.metadata.items()} | {
            k.lower(): clean_text(str(v), multiline=False) for k, v in stream.metadata.items()
            if k.lower() not in container.metadata}
        # Apple's creationdate carries the local offset; creation_time is UTC (often the export time on edited files)
        local = _creation_time(tags.get("com.apple.quicktime.creationdate"))
        capture = local or _creation_time(tags.get("creation_time"))
        gps = _location(tags.get("location") or tags.get("com.apple.quicktime.location.iso6709")
                        or tags.get("location-eng"))
        info: dict[str, Any] = {
            "container": fmt, "video_codec": stream.codec_context.name, "pix_fmt": stream.codec_context.pix_fmt,
            "stored_width": raw_w, "stored_height": raw_h, "rotation": rotation, "frame_rate": round(avg, 3),
            "base_rate": float(stream.base_rate or 0), "variable_frame_rate": vfr, "duration": round(duration, 3),
            "bit_rate": container.bit_rate, "audio": audio,
            "camera_make": tags.get("com.apple.quicktime.make") or tags.get("make"),
            "camera_model": tags.get("com.apple.quicktime.model") or tags.get("model"),
        }
        if capture:
            info["capture_time"] = capture.isoformat()
            info["capture_time_zone"] = "quicktime_offset" if local else "utc"
        if gps:
            info["gps"] = {"lat": gps[0], "lon": gps[1]}
        return VideoProbe(fmt, mime, width, height, rotation, duration, avg, info, capture, gps)


def _first_frames(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> tuple[int, bool]:
    rotation, decoded = 0, 0
    try:
        for frame in container.decode(stream):
            rotation = int(round(frame.rotation or 0)) % 360
            decoded += 1
            if decoded >= 3:
                break
    except av.error.FFmpegError as exc:
        if decoded == 0:
            raise _corrupt(exc) from exc
    return rotation, decoded > 0


def _declared_duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return float(container.duration or 0) / 1_000_000


def _demux_all(container: av.container.InputContainer, stream: av.video.stream.VideoStream
               ) -> tuple[float, list[Fraction]]:
    container.seek(0, any_frame=True, backward=True)
    start = float((stream.start_time or 0) * stream.time_base) if stream.time_base else 0.0
    last_end, pts_seen = 0.0, list[Fraction]()
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            end = float((packet.pts + (packet.duration or 0)) * packet.time_base) - start
            last_end = max(last_end, end)
            if len(pts_seen) < SAMPLE_PACKETS:
                pts_seen.append(Fraction(packet.pts) * packet.time_base)
    except av.error.FFmpegError as exc:
        if last_end == 0:
            raise _corrupt(exc) from exc
    ordered = sorted(pts_seen)
    return last_end, [b - a for a, b in zip(ordered, ordered[1:], strict=False) if b > a]


def _variable(deltas: list[Fraction]) -> bool:
    if len(deltas) < 3:
        return False
    ordered = sorted(deltas)
    median = ordered[len(ordered) // 2]
    outliers = sum(1 for d in deltas if abs(d - median) > median * VFR_TOLERANCE)
    return outliers > len(deltas) * 0.05


def _creation_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # QuickTime/Matroska creation times are UTC by specification (a naive one counts as UTC); same bounds as EXIF
    return bounded(moment)


def _location(value: str | None) -> tuple[float, float] | None:
    match = ISO6709.match(value or "")
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    return (round(lat, 7), round(lon, 7)) if -90 <= lat <= 90 and -180 <= lon <= 180 else None
