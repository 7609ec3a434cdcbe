"""Technical quality: the 0–100 score editors sort by (kept on the ``Screening``) and one quality finding per issue
(blurry, dark, black or frozen segments, silence …); quality lowers the pick, never the risk."""

from __future__ import annotations

from typing import ClassVar

from models.quality import image_quality, sharpness, video_quality
from workers.screening.contract import Detector, Found, Screening

#: ``models.quality`` issue labels are vocabulary codes already; this is the set the detector may publish.
ISSUES = frozenset({"blurry", "dark", "overexposed", "low_resolution", "black_segment", "frozen_segment", "silence",
                    "no_audio", "quiet", "shaky", "too_short"})
EVIDENCE = ("black_segments", "frozen_segments", "silent_segments", "laplacian_variance", "luma", "loudness_dbfs",
            "mean_motion", "duration", "width", "height")


class QualityDetector(Detector):
    name = "quality"
    codes: ClassVar[frozenset[str]] = ISSUES

    def detect(self, screening: Screening) -> list[Found]:
        media = screening.media
        if media.video is not None:
            quality = video_quality(media.video, [sharpness(f.image) for f in media.frames])
        elif media.frames:
            quality = image_quality(media.frames[0].image, media.width, media.height)
        else:
            return []
        screening.quality = quality
        detail = {key: quality.parts[key] for key in EVIDENCE if key in quality.parts}
        return [Found(issue, round(1 - quality.score / 100, 2), detail) for issue in quality.issues]
