"""Text in the picture (OCR) and in the caption, checked by the promotion rules (``models.text_rules``): phone numbers,
prices, promotional wording, other platforms' watermarks, sensitive words. Also leaves the OCR text on the
``Screening`` for search and tagging, and its cost as the ``ocr_time`` fact. A report document's text goes through
the same rules (``typed_text_findings``, called by ``workers.documents.tasks``)."""

from __future__ import annotations

from typing import Any, ClassVar

from models.base import get_model
from models.ocr import Ocr, OcrResult
from models.text_rules import RuleHit, check_text, compact
from workers.screening.contract import Detector, Found, Screening

#: The one place raw rule hits become vocabulary codes (``watermark:<platform>`` → ``watermark`` + its platform).
RULE_CODES = {"phone": "phone", "price": "price", "promotion": "promotion", "watermark": "watermark",
              "sensitive": "sensitive"}
#: Confidence of a rule hit in a caption (typed text: the rule alone decides) and in OCR text without a line score.
CAPTION_SCORE = 0.8
OCR_SCORE = 0.9


def finding_of(hit: RuleHit) -> tuple[str, dict[str, Any]]:
    """The vocabulary code of a rule hit, and what the hit adds to the evidence (the platform of a watermark)."""
    rule, _, platform = hit.label.partition(":")
    code = RULE_CODES[rule]
    return code, ({"platform": platform} if platform else {})


def typed_text_findings(text: str, source: str, **evidence: Any) -> list[Found]:
    """The rule hits in typed text (a caption, a report document's text) as vocabulary findings; ``evidence`` adds
    where the text was (a document's page)."""
    found = []
    for hit in check_text(text, source):
        code, extra = finding_of(hit)
        found.append(Found(code, CAPTION_SCORE, {"text": hit.text, "source": source, **evidence, **extra}))
    return found


def _ocr_findings(t: float | None, ocr: OcrResult) -> list[Found]:
    found = []
    for hit in check_text(ocr.text, "ocr"):
        code, extra = finding_of(hit)
        lines = [line for line in ocr.lines if compact(hit.text) in compact(line.text)]
        score = max((line.score for line in lines), default=OCR_SCORE)
        found.append(Found(code, round(score, 3), {"text": hit.text, "source": "ocr", "t": t,
                                                   "boxes": [line.box for line in lines], **extra}))
    return found


class TextDetector(Detector):
    name = "text"
    codes: ClassVar[frozenset[str]] = frozenset({*RULE_CODES.values(), "ocr_time"})

    def detect(self, screening: Screening) -> list[Found]:
        media = screening.media
        found: list[Found] = []
        texts: list[str] = []
        seconds = 0.0
        lines = 0
        for frame in media.frames:
            ocr = get_model(Ocr).predict(frame.image)
            seconds += ocr.seconds
            lines += len(ocr.lines)
            if ocr.text and ocr.text not in texts:
                texts.append(ocr.text)
            found += _ocr_findings(frame.t, ocr)
        screening.ocr_text = "\n".join(texts)
        found += typed_text_findings(media.caption, "caption")
        unique: dict[tuple[str, str, str], Found] = {}
        for item in found:  # a banner seen in ten keyframes is one finding, at its first frame
            key = (item.code, str(item.detail.get("source")), compact(str(item.detail.get("text", ""))))
            unique.setdefault(key, item)
        facts = {"seconds": round(seconds, 3), "frames": len(media.frames), "lines": lines}
        return [*unique.values(), Found("ocr_time", 0.0, facts)]
