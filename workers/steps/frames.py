"""Poster frame and sprite sheet from the proxy (already upright, small, with a keyframe every GOP_SECONDS).

Keyframes are decoded with ``skip_frame=NONKEY`` through PyAV, so only ~one frame per two seconds is decoded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageStat

from workers.profiles import (
    POSTER_JPEG_QUALITY,
    POSTER_MAX_LUMA,
    POSTER_MIN_LUMA,
    POSTER_MIN_STDDEV,
    SPRITE_COLUMNS,
    SPRITE_MAX_TILES,
    SPRITE_TILE_WIDTH,
)


@dataclass(frozen=True)
class Keyframe:
    time: float
    image: Image.Image


def keyframes(proxy: Path, limit: int = SPRITE_MAX_TILES * 4) -> list[Keyframe]:
    frames: list[Keyframe] = []
    with av.open(str(proxy), format="mov", options={"protocol_whitelist": "file"}) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        for frame in container.decode(stream):
            frames.append(Keyframe(float(frame.time or 0.0), frame.to_image()))  # type: ignore[no-untyped-call]
            if len(frames) >= limit:
                break
    return frames


def _interesting(image: Image.Image) -> tuple[bool, float]:
    stat = ImageStat.Stat(image.convert("L").resize((64, 36)))
    mean, spread = stat.mean[0], stat.stddev[0]
    return POSTER_MIN_LUMA <= mean <= POSTER_MAX_LUMA and spread >= POSTER_MIN_STDDEV, spread


def write_poster(frames: list[Keyframe], path: Path) -> tuple[int, int]:
    """The first keyframe from 10 % of the duration on that is neither black, white nor flat; else the liveliest."""
    if not frames:
        raise ValueError("no keyframes to choose a poster from")
    start = frames[-1].time * 0.1
    ordered = [f for f in frames if f.time >= start] + [f for f in frames if f.time < start]
    chosen = next((f for f in ordered if _interesting(f.image)[0]), None)
    if chosen is None:
        chosen = max(frames, key=lambda f: _interesting(f.image)[1])
    chosen.image.save(path, "JPEG", quality=POSTER_JPEG_QUALITY, progressive=True)
    return chosen.image.size


def write_sprite(frames: list[Keyframe], sheet: Path, vtt: Path, index: Path, duration: float) -> tuple[int, int]:
    """Contact sheet of up to SPRITE_MAX_TILES evenly spaced keyframes, with WebVTT and JSON tile indexes."""
    if not frames:
        raise ValueError("no keyframes for the sprite sheet")
    step = max(1, math.ceil(len(frames) / SPRITE_MAX_TILES))
    picked = frames[::step]
    first = picked[0].image
    tile_w = SPRITE_TILE_WIDTH
    tile_h = max(2, round(first.height * tile_w / first.width))
    columns = min(SPRITE_COLUMNS, len(picked))
    rows = math.ceil(len(picked) / columns)
    canvas = Image.new("RGB", (columns * tile_w, rows * tile_h))
    tiles = []
    for i, frame in enumerate(picked):
        x, y = (i % columns) * tile_w, (i // columns) * tile_h
        canvas.paste(frame.image.resize((tile_w, tile_h), Image.Resampling.BILINEAR), (x, y))
        end = picked[i + 1].time if i + 1 < len(picked) else max(duration, frame.time + 0.001)
        tiles.append({"start": round(frame.time, 3), "end": round(end, 3), "x": x, "y": y, "w": tile_w, "h": tile_h})
    canvas.save(sheet, "JPEG", quality=80)
    cues = ["WEBVTT", ""]
    for tile in tiles:
        cues += [f"{_vtt_time(tile['start'])} --> {_vtt_time(tile['end'])}",
                 f"sprite.jpg#xywh={tile['x']},{tile['y']},{tile['w']},{tile['h']}", ""]
    vtt.write_text("\n".join(cues))
    index.write_text(json.dumps({"image": "sprite.jpg", "tile_width": tile_w, "tile_height": tile_h,
                                 "columns": columns, "tiles": tiles}, ensure_ascii=False))
    return canvas.size


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
