"""Face counting for editors (consent matters for minors): no identification, only how many and where.

nudenet already reports FACE_* boxes during nudity screening; OpenCV's frontal haar cascade (shipped in
opencv-python-headless 4.x) is the second opinion. The count is the larger of the two, since each misses some faces.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from models.base import InferenceModel, package_version


class HaarFaces(InferenceModel[Image.Image, list[list[int]]]):
    name = "faces-haar"
    task = "face count (OpenCV haar cascade)"

    def _load(self) -> Any:
        import cv2

        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
        if cascade.empty():
            raise RuntimeError("haar cascade missing: opencv-python-headless 5.x dropped it; pin <5")
        return cascade

    def _predict(self, model: Any, inputs: Image.Image) -> list[list[int]]:
        gray = np.asarray(inputs.convert("L"))
        scale = 1.0
        if max(gray.shape) > 1024:  # faces smaller than ~24 px at this size are not worth an editor's look
            scale = 1024 / max(gray.shape)
            small = inputs.convert("L").resize((round(gray.shape[1] * scale), round(gray.shape[0] * scale)))
            gray = np.asarray(small)
        boxes = model.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(24, 24))
        return [[round(int(v) / scale) for v in box] for box in (boxes if len(boxes) else [])]

    def source(self) -> str:
        return "wheel opencv-python-headless (haarcascade_frontalface_default.xml)"

    def version(self) -> str:
        return package_version("opencv-python-headless")


def count_faces(image: Image.Image, nudenet_faces: list[list[int]]) -> tuple[int, list[list[int]]]:
    """Number of faces and their boxes ([x, y, w, h])."""
    from models.base import get_model

    haar = get_model(HaarFaces).predict(image)
    boxes = haar if len(haar) > len(nudenet_faces) else nudenet_faces
    return len(boxes), boxes
