"""OCR of Chinese and English text (rapidocr, PP-OCR ONNX weights inside the wheel).

One pass per image on a copy downscaled to ``OCR_MAX_SIDE``: text detection first, recognition only on the boxes it
found (rapidocr's pipeline; a photo without text costs detection alone), no angle classifier (images arrive upright
after EXIF transposition). Each result reports its own cost so editors and benches can see it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from models.base import InferenceModel, package_version

#: Banners and slides stay legible at this long side; beyond it detection cost grows with little gain in recall.
OCR_MAX_SIDE = 1024
MIN_TEXT_SCORE = 0.6


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    box: list[list[int]]  # four corner points in the original image's pixels


@dataclass
class OcrResult:
    lines: list[TextLine] = field(default_factory=list)
    seconds: float = 0.0
    detected_boxes: int = 0
    recognised: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class Ocr(InferenceModel[Image.Image, OcrResult]):
    name = "ocr"
    task = "OCR zh/en (rapidocr PP-OCR)"

    def _load(self) -> Any:
        from rapidocr import RapidOCR

        return RapidOCR(params={"Global.log_level": "critical", "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                                "Global.max_side_len": OCR_MAX_SIDE})

    def _predict(self, model: Any, inputs: Image.Image) -> OcrResult:
        started = time.perf_counter()
        image = inputs.convert("RGB")
        scale = 1.0
        if max(image.size) > OCR_MAX_SIDE:
            scale = OCR_MAX_SIDE / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
        array = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        full = model(array, use_det=True, use_cls=False, use_rec=True)
        boxes = 0 if full.boxes is None else len(full.boxes)
        result = OcrResult(detected_boxes=boxes, recognised=bool(boxes))
        if boxes:
            for text, score, box in zip(full.txts or (), full.scores or (), full.boxes, strict=False):
                if score >= MIN_TEXT_SCORE and text.strip():
                    points = [[round(float(x) / scale), round(float(y) / scale)] for x, y in box]
                    result.lines.append(TextLine(text.strip(), round(float(score), 3), points))
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def source(self) -> str:
        return "wheel rapidocr (PP-OCR ONNX)"

    def version(self) -> str:
        return package_version("rapidocr")
