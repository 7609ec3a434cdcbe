"""Nudity: open_nsfw score and nudenet exposed-part boxes over every frame. ``nudity`` (a risk) only when the worst
frame reaches ``NUDITY_FLAG``; the raw score of the worst frame is always kept as the ``nudity_checked`` fact."""

from __future__ import annotations

from typing import Any, ClassVar

from models.base import get_model
from models.nsfw import NsfwClassifier, screen_nudity
from workers.screening.contract import Detector, Found, Screening

#: Safe photos score 0.0001–0.03 on open_nsfw (docs/SCREENING.md); explicit ones score above 0.8.
NUDITY_FLAG = 0.6


class NudityDetector(Detector):
    name = "nudity"
    codes: ClassVar[frozenset[str]] = frozenset({"nudity", "nudity_checked"})

    def detect(self, screening: Screening) -> list[Found]:
        frames = screening.media.frames
        scores = get_model(NsfwClassifier).predict([f.image for f in frames]) if frames else []
        worst: dict[str, Any] = {"score": 0.0, "worst_frame_t": None, "nsfw_score": None, "detections": []}
        for index, frame in enumerate(frames):
            result = screen_nudity(frame.image, scores[index])
            screening.face_hints[index] = result.faces
            score = max(result.nsfw_score, result.exposed_score)
            if index == 0 or score > worst["score"]:
                worst = {"score": score, "worst_frame_t": frame.t, "nsfw_score": result.nsfw_score,
                         "detections": result.detections}
        score = round(float(worst.pop("score")), 4)
        detail = {**worst, "frames": len(frames)}
        found = [Found("nudity_checked", score, detail)]
        if score >= NUDITY_FLAG:
            found.append(Found("nudity", score, detail))
        return found
