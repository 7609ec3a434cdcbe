"""A video's keyframes, extracted once at ``derive`` and shared by every later step.

``derive`` takes them from its one decode of the original (``workers.steps.video.transcode``: the proxy's picture
sampled into ``models.video.FrameSampler``: scene changes plus one frame every ``KEYFRAME_EVERY`` seconds, with the
per-frame and audio statistics the quality check needs); ``extract`` makes the same analysis by decoding a proxy
file again (for a proxy made before, and for tests that compare the two); ``store`` puts
the frames as small JPEGs under ``derived/{id}/frames/`` with an ``index.json`` (written last, so a reader that
finds it finds every frame). The poster and the sprite sheet are chosen from the same frames; ``screen`` and
``dedupe`` read them back through ``workers.media_input.load_keyframes`` instead of decoding the video again. Next to
the index, ``hashes.json`` (``hashes_key``): the duplicate check's per-second and query hashes, computed at
``derive`` from the same decode's hashing samples, so ``dedupe`` does not decode the video either.
"""

from __future__ import annotations

import io
import json
import math
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageStat

from models.video import Keyframe as AnalysedFrame
from models.video import VideoAnalysis, analyse_video
from service.core.storage import get_storage
from workers.profiles import (
    KEYFRAME_EVERY,
    KEYFRAME_JPEG_QUALITY,
    KEYFRAME_MAX,
    POSTER_JPEG_QUALITY,
    POSTER_MAX_LUMA,
    POSTER_MIN_LUMA,
    POSTER_MIN_STDDEV,
    SPRITE_COLUMNS,
    SPRITE_MAX_TILES,
    SPRITE_TILE_WIDTH,
)
from workers.renditions import derived_prefix

_STATS = ("times", "luma", "diff", "motion", "audio_rms_db")


@dataclass(frozen=True)
class Keyframe:
    time: float
    image: Image.Image


def frames_prefix(asset_id: uuid.UUID) -> str:
    return f"{derived_prefix(asset_id)}frames/"


def index_key(asset_id: uuid.UUID) -> str:
    return f"{frames_prefix(asset_id)}index.json"


def hashes_key(asset_id: uuid.UUID) -> str:
    """The duplicate check's video hashes, computed by ``derive`` from its decode (``workers.steps.dedupe``)."""
    return f"{frames_prefix(asset_id)}hashes.json"


def extract(proxy: Path) -> VideoAnalysis:
    """A decoding pass over the (upright, small) proxy: what ``transcode`` samples from its own decode."""
    return analyse_video(proxy, uniform_every=KEYFRAME_EVERY, max_keyframes=KEYFRAME_MAX)


def as_keyframes(analysis: VideoAnalysis) -> list[Keyframe]:
    return [Keyframe(frame.t, frame.image) for frame in analysis.keyframes]


def store(asset_id: uuid.UUID, analysis: VideoAnalysis) -> int:
    """Replace the asset's stored keyframes and index; returns the bytes written."""
    storage = get_storage()
    prefix = frames_prefix(asset_id)
    storage.delete_prefix(prefix)  # a rerun may keep a different number of frames
    entries, total = [], 0
    for number, frame in enumerate(analysis.keyframes):
        buffer = io.BytesIO()
        frame.image.save(buffer, "JPEG", quality=KEYFRAME_JPEG_QUALITY)
        key = f"{prefix}{number:04d}.jpg"
        storage.put_bytes(key, buffer.getvalue(), content_type="image/jpeg")
        total += buffer.tell()
        entries.append({"t": frame.t, "reason": frame.reason, "key": key})
    fields = asdict(analysis)
    index: dict[str, Any] = {name: fields[name] for name in ("duration", "width", "height", "fps", "has_audio",
                                                             *_STATS)}
    index["keyframes"] = entries
    data = json.dumps(index, separators=(",", ":")).encode()
    storage.put_bytes(index_key(asset_id), data, content_type="application/json")
    return total + len(data)


def stored_index(asset_id: uuid.UUID) -> dict[str, Any] | None:
    """The stored index, or None when the asset was derived before keyframes were stored."""
    storage = get_storage()
    key = index_key(asset_id)
    if storage.stat_size(key) is None:
        return None
    found: dict[str, Any] = json.loads(storage.get_bytes(key))
    return found


def thin(entries: list[dict[str, Any]], *, uniform_every: float, max_keyframes: int) -> list[dict[str, Any]]:
    """The stored frames a step would have kept itself: every scene change, uniform frames at least
    ``uniform_every`` apart (the rule of ``analyse_video``), then an even spread of at most ``max_keyframes``."""
    kept: list[dict[str, Any]] = []
    next_uniform = 0.0
    for entry in entries:
        if entry["reason"] == "scene" or entry["t"] >= next_uniform - 1e-6:
            kept.append(entry)
            next_uniform = entry["t"] + uniform_every
    if len(kept) > max_keyframes:
        step = len(kept) / max_keyframes
        kept = [kept[int(i * step)] for i in range(max_keyframes)]
    return kept


def load(asset_id: uuid.UUID, index: dict[str, Any], *, uniform_every: float, max_keyframes: int) -> VideoAnalysis:
    """Rebuild the analysis from the stored index, with the chosen frames read back from storage."""
    storage = get_storage()
    analysis = VideoAnalysis(float(index["duration"]), int(index["width"]), int(index["height"]),
                             float(index["fps"]), has_audio=bool(index["has_audio"]))
    for name in _STATS:
        setattr(analysis, name, list(index[name]))
    for entry in thin(index["keyframes"], uniform_every=uniform_every, max_keyframes=max_keyframes):
        image = Image.open(io.BytesIO(storage.get_bytes(entry["key"])))
        image.load()
        analysis.keyframes.append(AnalysedFrame(float(entry["t"]), image.convert("RGB"), str(entry["reason"])))
    return analysis


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
