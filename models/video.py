"""One decoding pass over a video (PyAV): keyframes for screening and hashing, per-frame and audio statistics for
quality. Samples frames at ``analysis_fps`` on small grey copies; keeps full frames only at scene changes and at
uniform intervals, so memory stays bounded for hour-long files."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

#: Long side of kept keyframes: enough for OCR of banners and for PDQ, a fraction of 4K memory.
KEYFRAME_SIDE = 960
#: Mean absolute grey difference (0–1 scale ×4) to the previous sample above which the camera's shift is not measured
#: (no jitter across a cut or something crossing the frame); it was also the whole scene-cut rule before SceneRule.
SCENE_CHANGE = 0.35


@dataclass(frozen=True)
class SceneRule:
    """When a sample starts a new shot (a scene keyframe, which screening reads in full). Chosen on the edited
    sequences of ``python -m tests.eval.scenes`` and reported on a held-out seed in docs/SCREENING.md "Scene cuts":
    a grey change alone took a pan, a shake or a bus crossing close to the camera for a cut (6× more scene keyframes
    than cuts) and missed cuts to another framing of the same place."""

    #: The grey picture changed at least this much since the previous sample (mean absolute difference, 0–1 ×4) ...
    change: float = 0.25
    #: ... and either its colours changed this much (half the L1 distance of 12×4×4 HSV histograms, 0–1): motion
    #: keeps a shot's colours; 0: colour alone never makes a cut ...
    colour_change: float = 0.30
    #: ... or no single shift of the camera explains it: the peak of the two samples' phase correlation is below
    #: this (a pan, a zoom or a shake keeps it high; another shot, even of the same place, does not); 0: off.
    steady_response: float = 0.25


#: The rule before SceneRule: any grey change above SCENE_CHANGE is a cut (the evaluation's baseline).
GREY_CHANGE_ONLY = SceneRule(change=SCENE_CHANGE, colour_change=0.0, steady_response=0.0)


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


def _colours(frame: Image.Image) -> np.ndarray:
    """The sample's colour distribution: a normalised 12 (hue) × 4 (saturation) × 4 (value) HSV histogram."""
    import cv2

    small = np.asarray(frame.convert("RGB").resize((96, 54), Image.Resampling.BILINEAR))
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    counts = cv2.calcHist([hsv], [0, 1, 2], None, [12, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    return counts / max(1.0, float(counts.sum()))


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    import cv2

    (dx, dy), _ = cv2.phaseCorrelate(a, b)
    return float(dx / a.shape[1]), float(dy / a.shape[1])


def _keep(image: Image.Image) -> Image.Image:
    image = image.convert("RGB")
    if max(image.size) > KEYFRAME_SIDE:
        image.thumbnail((KEYFRAME_SIDE, KEYFRAME_SIDE), Image.Resampling.BILINEAR)
    return image


#: Frames analysed per second; the sampling rule (the first frame at or after 1/ANALYSIS_FPS s past the last one
#: sampled) is shared by ``analyse_video`` and the ffmpeg ``select`` filter of ``sample_select``.
ANALYSIS_FPS = 4.0


def sample_select(analysis_fps: float = ANALYSIS_FPS) -> str:
    """The sampling rule of ``analyse_video`` as an ffmpeg ``select`` expression (variable 0: the next sample time),
    so an ffmpeg command that already decodes the video can hand ``FrameSampler`` exactly the frames it would pick."""
    return f"if(gte(t+0.000001,ld(0)),st(0,t+{1.0 / analysis_fps!r}),0)"


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Size of the frames ``FrameSampler`` keeps: the longer side at most KEYFRAME_SIDE, never upscaled."""
    factor = min(1.0, KEYFRAME_SIDE / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


class FrameSampler:
    """The analysis of already sampled frames (time, picture), in order; ``finish`` adds what the file says (duration,
    size, rate, audio levels). Fed by ``analyse_video``'s own decode, or by the frames an ffmpeg command that decodes
    the video anyway writes into a pipe (``read``)."""

    def __init__(self, *, uniform_every: float, rule: SceneRule | None = None) -> None:
        self.result = VideoAnalysis(0.0, 0, 0, 0.0)
        self._uniform_every = uniform_every
        self._rule = rule or SceneRule()
        self._previous: np.ndarray | None = None
        self._previous_image: Image.Image | None = None
        self._last_shift: tuple[float, float] | None = None
        self._next_uniform = 0.0

    def add(self, t: float, image: Image.Image) -> None:
        result, previous = self.result, self._previous
        grey = _grey_small(image)
        diff = float(np.abs(grey - previous).mean()) if previous is not None else 0.0
        result.times.append(t)
        result.luma.append(float(grey.mean()))
        result.diff.append(diff)
        changed = previous is None or diff / 255 * 4 > SCENE_CHANGE
        scene = previous is None or self._cut(previous, grey, diff / 255 * 4, image)
        # the shift is not measured across a big change (a cut, or a bus crossing the frame): jitter stays 0 there
        shift = _shift(previous, grey) if previous is not None and not changed else None
        jitter = 0.0
        if shift is not None and self._last_shift is not None:
            jitter = math.hypot(shift[0] - self._last_shift[0], shift[1] - self._last_shift[1])
        result.motion.append(round(jitter, 5))
        self._last_shift = shift
        if scene or t >= self._next_uniform:
            result.keyframes.append(Keyframe(t, _keep(image), "scene" if scene else "uniform"))
            self._next_uniform = t + self._uniform_every
        self._previous, self._previous_image = grey, image

    def _cut(self, previous: np.ndarray, grey: np.ndarray, change: float, image: Image.Image) -> bool:
        """Whether this sample, ``change`` away from the previous one, starts a new shot (SceneRule)."""
        import cv2

        rule = self._rule
        if change <= rule.change:
            return False
        if not rule.colour_change and not rule.steady_response:
            return True  # the grey change alone (the rule before SceneRule)
        assert self._previous_image is not None
        colours = float(np.abs(_colours(image) - _colours(self._previous_image)).sum()) / 2
        if rule.colour_change and colours > rule.colour_change:
            return True
        return bool(rule.steady_response) and cv2.phaseCorrelate(previous, grey)[1] < rule.steady_response

    def read(self, pipe: object) -> None:
        """Add every frame of a NUT stream of raw pictures (a file-like object with ``read``), already sampled."""
        for t, image in nut_frames(pipe):
            self.add(t, image)

    def finish(self, path: Path, *, max_keyframes: int) -> VideoAnalysis:
        """Complete the analysis from the video file the frames were sampled for (the proxy)."""
        import av

        result = self.result
        with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
            stream = container.streams.video[0]
            result.duration = float(container.duration / 1_000_000) if container.duration else 0.0
            result.fps = float(stream.average_rate or 25)
            result.width, result.height = stream.codec_context.width, stream.codec_context.height
        if not result.duration and result.times:
            result.duration = result.times[-1] + 1.0 / result.fps
        _read_audio(path, result)
        if len(result.keyframes) > max_keyframes:  # keep an even spread, always the first
            step = len(result.keyframes) / max_keyframes
            result.keyframes = [result.keyframes[int(i * step)] for i in range(max_keyframes)]
        return result


def analyse_video(path: Path, *, analysis_fps: float = ANALYSIS_FPS, uniform_every: float = 5.0,
                  max_keyframes: int = 40) -> VideoAnalysis:
    import av

    sampler = FrameSampler(uniform_every=uniform_every)
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_sample = 0.0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_sample:
                continue
            next_sample = t + 1.0 / analysis_fps
            sampler.add(t, frame.to_image())  # type: ignore[no-untyped-call]
    return sampler.finish(path, max_keyframes=max_keyframes)


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


def nut_frames(pipe: object, *, grey: bool = False) -> Iterator[tuple[float, Image.Image]]:
    """The (time, picture) of every frame of a NUT stream of raw pictures (a file-like object with ``read``); with
    ``grey``, the stream's grey pictures as Pillow "L" images (not turned into RGB)."""
    import av

    with av.open(pipe, mode="r", format="nut") as container:
        for frame in container.decode(container.streams.video[0]):
            image = Image.fromarray(frame.to_ndarray(), "L") if grey else frame.to_image()  # type: ignore[no-untyped-call]
            yield float(frame.time or 0.0), image


#: The hashing samples (``sample_frames``): long side at most this, at most this many per file. Kept grey: PDQ reads
#: luma only (hashes of the grey and the RGB sample: median 0 bits apart, at most 6, on the shared media's clips),
#: and a long file's 2,400 samples take 354 MB instead of 1.06 GB while ``derive`` holds them.
SAMPLE_SIDE = 512
SAMPLE_MAX_FRAMES = 2400


def sample_step(duration: float, every: float, max_frames: int = SAMPLE_MAX_FRAMES) -> float:
    """The grid of ``sample_frames``: ``every`` seconds, widened for long files to stay within ``max_frames``."""
    return max(every, duration / max_frames) if duration else every


def next_sample(t: float, step: float) -> float:
    """After a sample at ``t``, the next is the first frame at or after the next multiple of ``step``."""
    return (math.floor(t / step + 1e-6) + 1) * step


def sample_size(width: int, height: int, side: int = SAMPLE_SIDE) -> tuple[int, int]:
    """Size of a hashing sample: the longer side at most ``side``, never upscaled (swscale's area filter)."""
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def grid_select(step: float) -> str:
    """The rule of ``sample_frames`` (``next_sample``) as an ffmpeg ``select`` expression (variable 1: the next
    sample time), so the ffmpeg command that makes the proxy hands ``GridSamples`` the frames it would pick."""
    return f"if(gte(t+0.000001,ld(1)),st(1,(floor(t/{step!r}+0.000001)+1)*{step!r}),0)"


class GridSamples:
    """The hashing samples of ``sample_frames`` taken from frames an ffmpeg command writes into a pipe (``read``),
    already selected (``grid_select``) and scaled (``sample_size``, area filter, grey)."""

    def __init__(self, *, every: float, side: int = SAMPLE_SIDE, max_frames: int = SAMPLE_MAX_FRAMES) -> None:
        self.every, self.side, self.max_frames = every, side, max_frames
        self.frames: list[tuple[float, Image.Image]] = []

    def read(self, pipe: object) -> None:
        for t, image in nut_frames(pipe, grey=True):
            if len(self.frames) >= self.max_frames:
                break
            self.frames.append((t, image))


def sample_frames(path: Path, *, every: float = 0.25, side: int = SAMPLE_SIDE, max_frames: int = SAMPLE_MAX_FRAMES,
                  colour: bool = False) -> list[tuple[float, Image.Image]]:
    """Frames every ``every`` seconds of presentation time (the first frame at or after each multiple), small grey
    copies for hashing (``colour``: RGB, for frames used as photos). Dense and on a fixed time grid, so two files cut
    from one recording share samples wherever either was cut. Long files widen the step to stay within
    ``max_frames``. ``derive`` takes the same samples from its own decode (``grid_select``, ``GridSamples``)."""
    import av

    frames: list[tuple[float, Image.Image]] = []
    with av.open(str(path), options={"protocol_whitelist": "file"}) as container:
        if not container.streams.video:
            return frames
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration = float(container.duration / 1_000_000) if container.duration else 0.0
        step = sample_step(duration, every, max_frames)
        next_at = 0.0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_at:
                continue
            next_at = next_sample(t, step)
            # scaled and converted in one swscale pass (area filter): a full-size RGB picture then a Pillow
            # thumbnail cost 2.5x as much (0.25 vs 0.10 CPU-s per second of 720p30 at ten samples a second); the
            # hashes differ from those of the old path by 2 bits (median, at most 6). Grey, as SAMPLE_SIDE says.
            width, height = sample_size(frame.width, frame.height, side)
            pixels = frame.to_ndarray(width=width, height=height, format="rgb24" if colour else "gray",
                                      interpolation="AREA")
            frames.append((t, Image.fromarray(pixels, "RGB" if colour else "L")))
            if len(frames) >= max_frames:
                break
    return frames
