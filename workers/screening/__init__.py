"""Screening as ordered detector plugins (contract in ``contract.py``): nudity, safety, text (OCR + rules), QR
codes, faces, quality. ``run_detectors`` runs them in this order over one ``Media`` and records, per detector, whether
it ran, was skipped (its model is not configured: a ``model_not_configured`` fact) or failed (a ``detector_failed``
fact; the others' findings stand). A new detector is one module here, one vocabulary entry and its test."""

from __future__ import annotations

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded

from models.base import NotConfigured
from workers.screening.contract import Detector, DetectorResult, Found, Frame, Media, Screening, Status
from workers.screening.faces import FacesDetector
from workers.screening.nudity import NudityDetector
from workers.screening.qr import QrDetector
from workers.screening.quality import QualityDetector
from workers.screening.safety import SafetyDetector
from workers.screening.text import TextDetector

__all__ = ["DETECTORS", "NOT_CONFIGURED", "RUNNER_CODES", "Detector", "DetectorResult", "Found", "Frame", "Media",
           "Screening", "Status", "run_detectors"]

log = logging.getLogger(__name__)

#: In order: the face detector reuses the nudity detector's face boxes.
DETECTORS: tuple[Detector, ...] = (NudityDetector(), SafetyDetector(), TextDetector(), QrDetector(), FacesDetector(),
                                   QualityDetector())
#: The fact a detector leaves when its model is not on this machine (the tag step's visual tagger leaves it too).
NOT_CONFIGURED = "model_not_configured"
#: Facts the runner itself publishes about a detector.
RUNNER_CODES = frozenset({NOT_CONFIGURED, "detector_failed"})


def _skipped(detector: Detector, model: str, why: str) -> DetectorResult:
    fact = Found(NOT_CONFIGURED, 0.0, {
        "detector": detector.name, "model": model,
        "reason": f"「{detector.name}」检测所需模型未配置（$MEDIADESK_MODEL_DIR/{model}）/ the {detector.name} "
                  f"detector needs a model that is not on this machine ($MEDIADESK_MODEL_DIR/{model}){why}"})
    return DetectorResult(detector.name, Status.skipped, [fact], reason=model)


def run_one(detector: Detector, screening: Screening) -> DetectorResult:
    """Run one detector under the contract: its findings, or a skipped / failed result carrying its fact."""
    started = time.perf_counter()
    missing = detector.missing_model()
    if missing is not None:
        return _skipped(detector, missing, "")
    try:
        found = detector.detect(screening)
        stray = sorted({f.code for f in found} - detector.codes)
        if stray:
            raise ValueError(f"{detector.name} published codes it does not declare: {stray}")
    except SoftTimeLimitExceeded:
        raise  # the step's time limit is the step's, not one detector's
    except NotConfigured as exc:
        return _skipped(detector, detector.name, f": {exc}")
    except Exception as exc:
        log.exception("detector %s failed", detector.name)
        error = f"{exc.__class__.__name__}: {exc}"[:500]
        fact = Found("detector_failed", 0.0, {"detector": detector.name, "error": error})
        return DetectorResult(detector.name, Status.failed, [fact], reason=error,
                              seconds=round(time.perf_counter() - started, 3))
    return DetectorResult(detector.name, Status.ran, found, seconds=round(time.perf_counter() - started, 3))


def run_detectors(media: Media, detectors: tuple[Detector, ...] = DETECTORS
                  ) -> tuple[Screening, list[DetectorResult]]:
    """Every detector in order over ``media``; a failing detector never loses the others' findings."""
    screening = Screening(media)
    return screening, [run_one(detector, screening) for detector in detectors]
