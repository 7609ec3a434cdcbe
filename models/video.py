"""One decoding pass over a video (PyAV): keyframes for screening and hashing, per-frame and audio statistics for
quality. Samples frames at ``analysis_fps`` on small grey copies; keeps full frames only at scene changes and at
uniform intervals, so memory stays bounded for hour-long files."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

#: Long side of kept keyframes: enough for OCR of banners and for PDQ, a fraction of 4K memory.
KEYFRAME_SIDE = 960
SCENE_CHANGE = 0.35  # mean absolute grey difference (0–1 scale ×4) above which a new shot starts


@dataclass(frozen=True)
class Keyframe:
    t: float
    image: Image.Image
    reason: str  # scene | uniform


@dataclass
class VideoAnalysis:
    duration: float
    width: int
    height: int
    fps: float
    keyframes: list[Keyframe] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    luma: list[float] = field(default_factory=list)  # mean grey 0–255 per analysed frame
    diff: list[float] = field(default_factory=list)  # mean abs difference to the previous analysed frame, 0–255
    #: camera jitter: change of the global shift between consecutive analysed frames (fraction of width); a steady
    #: pan scores ~0, a hand-held shake does not. 0 across scene cuts.
    motion: list[float] = field(default_factory=list)
    audio_rms_db: list[float] = field(default_factory=list)  # per 100 ms window, dBFS
    has_audio: bool = False


def _grey_small(frame: Image.Image) -> np.ndarray:
    return np.asarray(frame.convert("L").resize((96, 54), Image.Resampling.BILINEAR), dtype=np.float32)


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    import cv2

    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    return float(dx / a.shape[1]), float(dy / a.shape[1])


def _keep(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    if max(image.size) > KEYFRAME_SIDE:
        image.thumbnail((KEYFRAME_SIDE, KEYFRAME_SIDE), Image.Resampling.BILINEAR)
    return image


def analyse_video(path: Path, *, analysis_fps: float = 4.0, uniform_every: float = 5.0,
                  max_keyframes: int = 40) -> VideoAnalysis:
    import av

    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(container.duration / 1_000_000) if container.duration else 0.0
        fps = float(stream.average_rate or 25)
        result = VideoAnalysis(duration, stream.codec_context.width, stream.codec_context.height, fps)
        previous: np.ndarray | None = None
        last_shift: tuple[float, float] | None = None
        next_sample = 0.0
        next_uniform = 0.0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_sample:
                continue
            next_sample = t + 1.0 / analysis_fps
            image = frame.to_image()  # type: ignore[no-untyped-call]
            grey = _grey_small(image)
            diff = float(np.abs(grey - previous).mean()) if previous is not None else 0.0
            result.times.append(t)
            result.luma.append(float(grey.mean()))
            result.diff.append(diff)
            scene = previous is None or diff / 255 * 4 > SCENE_CHANGE
            shift = _shift(previous, grey) if previous is not None and not scene else None
            jitter = 0.0
            if shift is not None and last_shift is not None:
                jitter = math.hypot(shift[0] - last_shift[0], shift[1] - last_shift[1])
            result.motion.append(round(jitter, 5))
            last_shift = shift
            if scene or t >= next_uniform:
                result.keyframes.append(Keyframe(t, _keep(image), "scene" if scene else "uniform"))
                next_uniform = t + uniform_every
            previous = grey
        if not duration and result.times:
            result.duration = result.times[-1] + 1.0 / fps
        _read_audio(path, result)
    if len(result.keyframes) > max_keyframes:  # keep an even spread, always the first
        step = len(result.keyframes) / max_keyframes
        result.keyframes = [result.keyframes[int(i * step)] for i in range(max_keyframes)]
    return result


def _read_audio(path: Path, result: VideoAnalysis) -> None:
    import av

    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        if not container.streams.audio:
            return
        result.has_audio = True
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=8000)
        chunks: list[np.ndarray] = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        if not chunks:
            return
        samples = np.concatenate(chunks)
        window = 800  # 100 ms at 8 kHz
        count = len(samples) // window
        if count == 0:
            return
        blocks = samples[: count * window].reshape(count, window)
        rms = np.sqrt(np.mean(blocks.astype(np.float64) ** 2, axis=1))
        result.audio_rms_db = [round(float(20 * math.log10(max(v, 1e-6))), 1) for v in rms]


def sample_frames(path: Path, *, every: float = 0.25, side: int = 512,
                  max_frames: int = 2400) -> list[tuple[float, Image.Image]]:
    """Frames every ``every`` seconds of presentation time (the first frame at or after each multiple), small copies
    for hashing. Dense and on a fixed time grid, so two files cut from one recording share samples wherever either
    was cut. Long files widen the step to stay within ``max_frames``."""
    import av

    frames: list[tuple[float, Image.Image]] = []
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        if not container.streams.video:
            return frames
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(container.duration / 1_000_000) if container.duration else 0.0
        step = max(every, duration / max_frames) if duration else every
        next_sample = 0.0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_sample:
                continue
            next_sample = (math.floor(t / step + 1e-6) + 1) * step
            image = frame.to_image().convert("RGB")  # type: ignore[no-untyped-call]
            if max(image.size) > side:
                image.thumbnail((side, side), Image.Resampling.BILINEAR)
            frames.append((t, image))
            if len(frames) >= max_frames:
                break
    return frames
