"""Technical quality editors can sort by: a 0–100 score with its parts, for photos and videos.

Thresholds are for the week's outlets: print wants ≥ 8 MP-ish long sides (A4 at 300 dpi ≈ 3508 px), broadcast wants
1080p, web is content with 1280 px. Loudness is RMS dBFS (a proxy, not EBU R128 LUFS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from models.video import VideoAnalysis

PRINT_LONG_SIDE = 3500
WEB_LONG_SIDE = 1280
BLUR_SHARP = 300.0  # variance of Laplacian on a 1024-px grey copy; below ~60 most people call it blurry
BLUR_BLURRY = 60.0
BLACK_LUMA = 16.0
SILENCE_DB = -50.0
MIN_SEGMENT = 1.0  # seconds
SHORT_CLIP = 5.0
SHAKY_MOTION = 0.02  # mean global shift between analysed frames, fraction of width


@dataclass
class Quality:
    score: int
    parts: dict[str, Any] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)  # stable labels: blurry, dark, overexposed, low_resolution, …


def _clamp(value: float) -> int:
    return int(max(0, min(100, round(value))))


def sharpness(image: Image.Image) -> float:
    import cv2

    grey = image.convert("L")
    if max(grey.size) > 1024:
        grey = grey.copy()
        grey.thumbnail((1024, 1024), Image.Resampling.BILINEAR)
    return float(cv2.Laplacian(np.asarray(grey), cv2.CV_64F).var())


def exposure(image: Image.Image) -> dict[str, float]:
    small = image.convert("L").resize((256, 256), Image.Resampling.BILINEAR)
    grey = np.asarray(small, dtype=np.float32)
    return {"mean": round(float(grey.mean()), 1), "dark_clip": round(float((grey < 8).mean()), 3),
            "bright_clip": round(float((grey > 247).mean()), 3)}


def _blur_score(variance: float) -> int:
    return _clamp((variance - BLUR_BLURRY / 2) / (BLUR_SHARP - BLUR_BLURRY / 2) * 100)


def _exposure_score(exp: dict[str, float]) -> int:
    mean_penalty = max(0.0, abs(exp["mean"] - 118) - 40) * 1.2
    clip_penalty = (exp["dark_clip"] + exp["bright_clip"]) * 150
    return _clamp(100 - mean_penalty - clip_penalty)


def _resolution_score(long_side: int) -> int:
    if long_side >= PRINT_LONG_SIDE:
        return 100
    if long_side >= WEB_LONG_SIDE:
        return _clamp(60 + 40 * (long_side - WEB_LONG_SIDE) / (PRINT_LONG_SIDE - WEB_LONG_SIDE))
    return _clamp(60 * long_side / WEB_LONG_SIDE)


def image_quality(image: Image.Image, width: int | None = None, height: int | None = None) -> Quality:
    """``width``/``height`` of the original when ``image`` is a smaller preview."""
    w, h = width or image.width, height or image.height
    variance = sharpness(image)
    exp = exposure(image)
    parts: dict[str, Any] = {
        "sharpness": _blur_score(variance), "exposure": _exposure_score(exp),
        "resolution": _resolution_score(max(w, h)),
        "laplacian_variance": round(variance, 1), "luma": exp, "width": w, "height": h,
        "fit_for": [use for use, ok in (("print", max(w, h) >= PRINT_LONG_SIDE), ("web", max(w, h) >= WEB_LONG_SIDE))
                    if ok],
    }
    issues = []
    if variance < BLUR_BLURRY:
        issues.append("blurry")
    if exp["mean"] < 50 or exp["dark_clip"] > 0.4:
        issues.append("dark")
    if exp["mean"] > 210 or exp["bright_clip"] > 0.4:
        issues.append("overexposed")
    if max(w, h) < WEB_LONG_SIDE:
        issues.append("low_resolution")
    score = 0.45 * parts["sharpness"] + 0.3 * parts["exposure"] + 0.25 * parts["resolution"]
    return Quality(_clamp(score), parts, issues)


def segments(times: list[float], flags: list[bool], min_length: float, step: float) -> list[list[float]]:
    """[start, end] runs where ``flags`` hold for at least ``min_length`` seconds."""
    runs: list[list[float]] = []
    start: float | None = None
    for t, flag in zip([*times, (times[-1] + step) if times else 0.0], [*flags, False], strict=True):
        if flag and start is None:
            start = t
        elif not flag and start is not None:
            if t - start >= min_length:
                runs.append([round(start, 2), round(t, 2)])
            start = None
    return runs


def video_quality(analysis: VideoAnalysis, keyframe_sharpness: list[float]) -> Quality:
    times = analysis.times
    step = (times[1] - times[0]) if len(times) > 1 else 0.25
    black = [luma < BLACK_LUMA for luma in analysis.luma]
    black_runs = segments(times, black, MIN_SEGMENT, step)
    frozen_flags = [d < 0.4 and not b for d, b in zip(analysis.diff, black, strict=True)]
    frozen_flags[:1] = [False] * len(frozen_flags[:1])
    frozen_runs = segments(times, frozen_flags, 2.0, step)
    audio_times = [i * 0.1 for i in range(len(analysis.audio_rms_db))]
    silent_runs = segments(audio_times, [db < SILENCE_DB for db in analysis.audio_rms_db], 2.0, 0.1)
    loudness = round(float(np.mean(analysis.audio_rms_db)), 1) if analysis.audio_rms_db else None
    motion = float(np.mean(analysis.motion[1:])) if len(analysis.motion) > 1 else 0.0
    duration = analysis.duration or 0.0
    blur = float(np.median(keyframe_sharpness)) if keyframe_sharpness else 0.0

    def covered(runs: list[list[float]]) -> float:
        return sum(end - start for start, end in runs) / duration if duration else 0.0

    parts: dict[str, Any] = {
        "sharpness": _blur_score(blur),
        "resolution": _clamp(100 * min(analysis.height, 1080) / 1080),
        "continuity": _clamp(100 - 150 * (covered(black_runs) + covered(frozen_runs))),
        "audio": (_clamp(100 - 100 * covered(silent_runs) - max(0.0, -30 - (loudness or -30)) * 2)
                  if analysis.has_audio else 50),
        "stability": _clamp(100 - max(0.0, motion - SHAKY_MOTION / 2) * 2000),
        "black_segments": black_runs, "frozen_segments": frozen_runs, "silent_segments": silent_runs,
        "loudness_dbfs": loudness, "mean_motion": round(motion, 4), "duration": round(duration, 2),
        "width": analysis.width, "height": analysis.height, "has_audio": analysis.has_audio,
    }
    issues = [label for label, bad in (
        ("black_segment", bool(black_runs)), ("frozen_segment", bool(frozen_runs)), ("silence", bool(silent_runs)),
        ("no_audio", not analysis.has_audio), ("shaky", motion > SHAKY_MOTION), ("too_short", duration < SHORT_CLIP),
        ("low_resolution", analysis.height < 720), ("blurry", blur < BLUR_BLURRY),
        ("quiet", loudness is not None and loudness < -35),
    ) if bad]
    score = (0.25 * parts["sharpness"] + 0.2 * parts["resolution"] + 0.25 * parts["continuity"]
             + 0.15 * parts["audio"] + 0.15 * parts["stability"])
    if duration < SHORT_CLIP:
        score *= 0.7
    return Quality(_clamp(score), parts, issues)
