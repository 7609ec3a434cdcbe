"""Violence, weapons, smoking and drinking: a transformers image classifier from ``$MEDIADESK_MODEL_DIR/safety``.
No such weights ship in a wheel, so without the directory this detector is skipped (``model_not_configured``)."""

from __future__ import annotations

from typing import Any, ClassVar

from models.base import get_model
from models.safety import SAFETY_DIRNAME, SafetyClassifier
from workers.screening.contract import Detector, Found, Screening

#: The classifier's class families (models.safety.LABELS values) → vocabulary codes.
CODES = {"violence": "violence", "weapon": "weapon", "smoking": "smoking", "drinking": "drinking"}
#: A class is a finding from this score on; lower scores are the classifier's background noise.
SAFETY_FLAG = 0.5


class SafetyDetector(Detector):
    name = "safety"
    codes: ClassVar[frozenset[str]] = frozenset(CODES.values())

    def missing_model(self) -> str | None:
        return None if get_model(SafetyClassifier).configured() else SAFETY_DIRNAME

    def detect(self, screening: Screening) -> list[Found]:
        frames = screening.media.frames
        if not frames:
            return []
        worst: dict[str, tuple[float, Any]] = {}
        for frame, scores in zip(frames, get_model(SafetyClassifier).predict([f.image for f in frames]), strict=True):
            for label, score in scores.items():
                code = CODES.get(label)
                if code is not None and score > worst.get(code, (-1.0, None))[0]:
                    worst[code] = (score, frame.t)
        return [Found(code, round(score, 4), {"t": t})
                for code, (score, t) in sorted(worst.items()) if score >= SAFETY_FLAG]
