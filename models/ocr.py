"""OCR of Chinese and English text (rapidocr's PP-OCR ONNX weights, inside the wheel).

Detection first, on a copy no larger than ``OcrSettings.det_side``: a photo without text costs that pass alone and
nothing else. Recognition then runs only on the boxes found, batched, on crops cut from the image at up to
``rec_side`` so small text keeps its pixels. Vertical lines (a tall box) are read turned on their side
(``restack_vertical`` also reads them as a row of upright characters). No angle classifier: images arrive upright
after EXIF transposition. Each result reports its own cost. The settings are measured in docs/SCREENING.md
(``make eval``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from models.base import DEFAULT_IDLE_SECONDS, InferenceModel, onnx_session, package_version


@dataclass(frozen=True)
class OcrSettings:
    """The shipped values are the ones measured in docs/SCREENING.md; the evaluation compares others."""

    #: Long side of the copy text detection runs on: at 960 every line of the evaluation is found (2 % text is 14 px
    #: there); 736 loses characters of watermarks' account lines, 1280 costs 40 % more and splits a banner.
    det_side: int = 960
    #: Long side of the copy recognition crops are cut from (small text keeps its pixels).
    rec_side: int = 2560
    #: Lines the recogniser reads with less confidence are dropped (mostly texture read as letters).
    min_score: float = 0.6
    #: Detector thresholds: pixel probability, the mean probability a box needs, and how far boxes are grown.
    det_thresh: float = 0.3
    box_thresh: float = 0.5
    unclip: float = 1.6
    rec_batch: int = 8
    #: Read tall boxes also as restacked upright characters. Off: PP-OCRv6 reads vertical signs turned on their side
    #: as well (5 of 5 in the evaluation either way) and restacking cost ~10 % more on them.
    restack_vertical: bool = False
    #: Other ONNX files for the detector / recogniser (e.g. quantised variants the evaluation compares); "" = wheel's.
    det_model: str = ""
    rec_model: str = ""


#: A box this much taller than wide is a vertical line.
VERTICAL_RATIO = 1.5


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


@dataclass
class _Engine:
    det: Any
    rec: Any


def _bgr(image: Image.Image) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.asarray(image if image.mode == "RGB" else image.convert("RGB")), cv2.COLOR_RGB2BGR)


def _fast_det_preprocess(det: Any) -> None:
    """Make ``det`` (rapidocr's ``TextDetector``) build the same input tensor as its own preprocessing, at a fraction
    of the cost: rapidocr normalises the resized picture in float64 (its mean and std are float64 arrays) and casts
    the transposed result back to float32, ≈ 15 ms a photo; a pixel's normalised value depends on its byte and
    channel only, so a 256-entry table per channel computed by rapidocr's own ``normalize`` gives every value
    bit for bit, and the planes are written directly in the network's layout."""
    import cv2
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    class TablePreProcess(DetPreProcess):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            levels = np.repeat(np.arange(256, dtype=np.uint8)[:, None, None], 3, axis=2)
            self.table = np.ascontiguousarray(self.normalize(levels)[:, 0, :].astype(np.float32).T)  # [channel, byte]

        def __call__(self, img: np.ndarray) -> np.ndarray | None:
            resized = self.resize(img)
            if resized is None:
                return None
            tensor = np.empty((1, 3, *resized.shape[:2]), dtype=np.float32)
            for channel, plane in enumerate(cv2.split(resized)):
                tensor[0, channel] = cv2.LUT(plane, self.table[channel])
            return tensor

    prepare = TablePreProcess(det.limit_side_len, det.limit_type, det.mean, det.std)
    det.get_preprocess = lambda: prepare


def _restack(crop: np.ndarray) -> np.ndarray:
    """A vertical line (characters one under the other) as a horizontal line of the same upright characters."""
    h, w = crop.shape[:2]
    count = max(1, round(h / w))
    step = h / count
    cells = [crop[round(i * step) : round((i + 1) * step)] for i in range(count)]
    height = min(c.shape[0] for c in cells)
    return np.ascontiguousarray(np.hstack([c[:height] for c in cells]))


class Ocr(InferenceModel[Image.Image, OcrResult]):
    name = "ocr"
    task = "OCR zh/en (rapidocr PP-OCR)"

    def __init__(self, idle_seconds: float = DEFAULT_IDLE_SECONDS, settings: OcrSettings | None = None) -> None:
        super().__init__(idle_seconds)
        self.settings = settings or OcrSettings()

    def _load(self) -> Any:
        import rapidocr
        from omegaconf import DictConfig, OmegaConf
        from rapidocr import RapidOCR
        from rapidocr.ch_ppocr_det import TextDetector
        from rapidocr.ch_ppocr_rec import TextRecognizer

        weights = Path(rapidocr.__file__).resolve().parent / "models"
        defaults = RapidOCR(params={"Global.log_level": "critical"}).cfg  # the wheel's config, nothing loaded

        def config(part: str, overrides: dict[str, Any]) -> Any:
            values = OmegaConf.to_container(defaults[part], resolve=True)
            assert isinstance(values, dict)
            values.update(engine_cfg=OmegaConf.to_container(defaults.EngineConfig.onnxruntime), font_path=None,
                          model_root_dir=str(weights), **overrides)
            name = {"Det": self.settings.det_model or weights / "PP-OCRv6_det_small.onnx",
                    "Rec": self.settings.rec_model or weights / "PP-OCRv6_rec_small.onnx"}[part]
            values["session"] = onnx_session(name)  # threads and providers from models.base
            return DictConfig(values, flags={"allow_objects": True})

        cfg = self.settings
        det = TextDetector(config("Det", {"limit_type": "max", "limit_side_len": cfg.det_side,
                                          "thresh": cfg.det_thresh, "box_thresh": cfg.box_thresh,
                                          "unclip_ratio": cfg.unclip}))
        _fast_det_preprocess(det)
        rec = TextRecognizer(config("Rec", {"rec_batch_num": cfg.rec_batch}))
        return _Engine(det, rec)

    def _predict(self, model: Any, inputs: Image.Image) -> OcrResult:
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.utils.process_img import get_rotate_crop_image

        started = time.perf_counter()
        cfg = self.settings
        image = inputs if inputs.mode == "RGB" else inputs.convert("RGB")  # read only: no copy needed
        scale = 1.0
        if max(image.size) > cfg.rec_side:
            scale = cfg.rec_side / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
        array = _bgr(image)
        if min(array.shape[:2]) < 32:  # the detector needs a few rows; pad tiny strips with white
            pad = [(0, max(0, 32 - array.shape[0])), (0, max(0, 32 - array.shape[1])), (0, 0)]
            array = np.pad(array, pad, constant_values=255)
        found = model.det(array)
        boxes = [] if found.boxes is None else list(found.boxes)
        result = OcrResult(detected_boxes=len(boxes), recognised=bool(boxes))
        if boxes:
            crops, owners = [], []
            for index, box in enumerate(boxes):
                crop = get_rotate_crop_image(array, np.asarray(box, dtype=np.float32).copy())
                crops.append(crop)
                owners.append(index)
                points = np.asarray(box, dtype=np.float32)
                tall = np.linalg.norm(points[0] - points[3]) >= VERTICAL_RATIO * np.linalg.norm(points[0] - points[1])
                if cfg.restack_vertical and tall:
                    # get_rotate_crop_image turned the tall box on its side; read it as upright characters too
                    crops.append(_restack(np.rot90(crop, -1)))
                    owners.append(index)
            read = model.rec(TextRecInput(img=crops))
            best: dict[int, tuple[str, float]] = {}
            for owner, text, score in zip(owners, read.txts or (), read.scores or (), strict=False):
                if owner not in best or score > best[owner][1]:
                    best[owner] = (text, float(score))
            for index, box in enumerate(boxes):
                text, score = best.get(index, ("", 0.0))
                if score >= cfg.min_score and text.strip():
                    corners = [[round(float(x) / scale), round(float(y) / scale)] for x, y in box]
                    result.lines.append(TextLine(text.strip(), round(score, 3), corners))
        result.seconds = round(time.perf_counter() - started, 3)
        return result

    def source(self) -> str:
        return "wheel rapidocr (PP-OCRv6 det + rec ONNX)"

    def version(self) -> str:
        return package_version("rapidocr")
