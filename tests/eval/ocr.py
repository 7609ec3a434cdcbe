"""OCR accuracy and cost on the evaluation set, per text category, for several OCR settings side by side.

* character recall: per image, the rendered characters found in the OCR text (as a multiset, so split or reordered
  lines still count; spaces ignored, NFKC so ``：`` = ``:``), summed over the category;
* exact-line rate: rendered lines that appear verbatim in the OCR text (lines joined in reading order);
* rules: images whose expected text findings (phone, price, promotion, watermark, sensitive) the text rules
  (``models.text_rules.check_text``) all find in the OCR text; ``false`` counts findings no image should have;
* CPU ms/image for images with text and for those without rendered text, one thread.
"""

from __future__ import annotations

import statistics
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from models.text_rules import check_text
from tests.eval.dataset import EvalItem

TEXT_CODES = frozenset({"phone", "price", "promotion", "watermark", "sensitive"})
CATEGORIES = ("banner", "sign", "phone", "price", "watermark", "vertical", "small", "sensitive", "qr", "clean")


@dataclass
class Reading:
    lines: list[str]
    seconds: float


Reader = Callable[[Image.Image], Reading]


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


def char_hits(truth: Sequence[str], found: Sequence[str]) -> tuple[int, int]:
    """(characters found, characters rendered) for one image."""
    want = Counter(_norm("".join(truth)))
    have = Counter(_norm("".join(found)))
    return sum(min(n, have[c]) for c, n in want.items()), sum(want.values())


def exact_lines(truth: Sequence[str], found: Sequence[str]) -> int:
    joined = _norm("".join(found))
    return sum(1 for line in truth if _norm(line) in joined)


def text_codes(lines: Sequence[str]) -> set[str]:
    return {hit.label.split(":")[0] for hit in check_text("\n".join(lines), "ocr")}


@dataclass
class Tally:
    chars: int = 0
    chars_total: int = 0
    lines: int = 0
    lines_total: int = 0
    rules_ok: int = 0
    rules_total: int = 0
    false_codes: int = 0
    images: int = 0
    seconds: list[float] = field(default_factory=list)

    def add(self, item: EvalItem, reading: Reading) -> None:
        hit, total = char_hits(item.lines, reading.lines)
        self.chars += hit
        self.chars_total += total
        self.lines += exact_lines(item.lines, reading.lines)
        self.lines_total += len(item.lines)
        want = set(item.codes & TEXT_CODES)
        got = text_codes(reading.lines)
        if want:
            self.rules_total += 1
            self.rules_ok += want <= got
        self.false_codes += len(got - want)
        self.images += 1
        self.seconds.append(reading.seconds)

    def row(self) -> dict[str, str]:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:.3f}" if b else "–"

        return {
            "images": str(self.images),
            "char recall": ratio(self.chars, self.chars_total),
            "exact lines": f"{self.lines}/{self.lines_total}" if self.lines_total else "–",
            "rules found": f"{self.rules_ok}/{self.rules_total}" if self.rules_total else "–",
            "false findings": str(self.false_codes),
            "CPU ms/image": f"{1000 * statistics.mean(self.seconds):.0f}" if self.seconds else "–",
        }


def evaluate(items: Sequence[EvalItem], reader: Reader, misses: list[str] | None = None) -> dict[str, Tally]:
    """Tallies per category, plus ``with text`` / ``no text`` / ``all``."""
    tallies: dict[str, Tally] = {}
    for item in items:
        with Image.open(item.path) as opened:
            image = opened.convert("RGB")
        cpu = time.process_time()
        reading = reader(image)
        reading.seconds = time.process_time() - cpu  # CPU time: fair on a shared machine, one thread per task
        keys = [item.kind, "with text" if item.lines else "no text", "all"]
        for key in keys:
            tallies.setdefault(key, Tally()).add(item, reading)
        if misses is not None and item.lines and exact_lines(item.lines, reading.lines) < len(item.lines):
            misses.append(f"{item.path.name}: {list(item.lines)} → {reading.lines}")
    return tallies


# --- the readers compared ---------------------------------------------------------------------------------------


def shipped(overrides: str = "") -> Reader:
    """``models.ocr.Ocr`` as the screen step runs it; ``overrides`` like ``det_side=960;box_thresh=0.4``."""
    from dataclasses import fields, replace

    from models.ocr import Ocr, OcrSettings

    settings = OcrSettings()
    types = {f.name: type(getattr(settings, f.name)) for f in fields(settings)}
    for pair in filter(None, overrides.split(";")):
        key, value = pair.split("=", 1)
        kind = types[key]
        settings = replace(settings, **{key: value.lower() in ("1", "true", "yes") if kind is bool else kind(value)})
    model = Ocr(idle_seconds=1e9, settings=settings)

    def read(image: Image.Image) -> Reading:
        result = model.predict(image)
        return Reading([line.text for line in result.lines], result.seconds)

    return read


def _rapid(params: dict[str, Any], **call: Any) -> Reader:
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={"Global.log_level": "critical", "EngineConfig.onnxruntime.intra_op_num_threads": 1, **params}
    )

    def read(image: Image.Image) -> Reading:
        started = time.perf_counter()
        array = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        out = engine(array, **call)
        lines = [t.strip() for t in (out.txts or ()) if t.strip()]
        return Reading(lines, time.perf_counter() - started)

    return read


def defaults() -> Reader:
    """rapidocr's defaults: det + cls + rec, images up to 2000 px (one thread, as the ml queue runs it)."""
    return _rapid({})


def before() -> Reader:
    """The settings shipped before this evaluation: downscale to 1024 px, det + rec, no angle classifier."""
    from rapidocr import RapidOCR

    engine = RapidOCR(
        params={
            "Global.log_level": "critical",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "Global.max_side_len": 1024,
        }
    )

    def read(image: Image.Image) -> Reading:
        started = time.perf_counter()
        if max(image.size) > 1024:
            scale = 1024 / max(image.size)
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR)
        out = engine(np.ascontiguousarray(np.asarray(image)[:, :, ::-1]), use_det=True, use_cls=False, use_rec=True)
        lines = [t.strip() for t, s in zip(out.txts or (), out.scores or (), strict=False) if s >= 0.6 and t.strip()]
        return Reading(lines, time.perf_counter() - started)

    return read


READERS: dict[str, Callable[[], Reader]] = {"shipped": shipped, "defaults": defaults, "before": before}


def quantised(folder: Path, part: str) -> Path:
    """An int8 copy (dynamic quantisation, onnxruntime.quantization) of the wheel's ``det`` or ``rec`` model."""
    import rapidocr
    from onnxruntime.quantization import QuantType, quantize_dynamic

    name = {"det": "PP-OCRv6_det_small", "rec": "PP-OCRv6_rec_small"}[part]
    target = folder / f"{name}.int8.onnx"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        source = Path(rapidocr.__file__).resolve().parent / "models" / f"{name}.onnx"
        ops = ["Conv", "MatMul"] if part == "det" else ["MatMul", "Gemm"]
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, op_types_to_quantize=ops)
    return target


def reader(name: str, scratch: Path = Path("build/eval-models")) -> Reader:
    """A reader by name: ``shipped``, ``defaults``, ``before``, ``int8-det``, ``int8-rec`` (the shipped settings
    with a quantised model), or ``shipped:key=value;key=value``."""
    if name.startswith("shipped:"):
        return shipped(name.split(":", 1)[1])
    if name.startswith("int8-"):
        part = name.removeprefix("int8-")
        return shipped(f"{part}_model={quantised(scratch, part)}")
    return READERS[name]()


def table(results: dict[str, dict[str, Tally]], categories: Sequence[str] = CATEGORIES) -> str:
    """A markdown table: one row per category and reader."""
    head = [
        "category",
        "settings",
        "images",
        "char recall",
        "exact lines",
        "rules found",
        "false findings",
        "CPU ms/image",
    ]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for category in (*categories, "with text", "no text", "all"):
        for name, tallies in results.items():
            if category in tallies:
                row = tallies[category].row()
                rows.append("| " + " | ".join([category, name, *(row[h] for h in head[2:])]) + " |")
    return "\n".join(rows)
