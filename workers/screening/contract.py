"""The detector plugin contract: frames in, typed vocabulary findings out, and whether the detector ran.

Like paperless-ngx's consume plugins, each detector is one small class with a name, run in a fixed order by one runner
(``workers.screening.run_detectors``); detectors later in the order may read what earlier ones left on the
``Screening`` (the text detector's OCR text, the nudity detector's face boxes). A detector:

* declares every code it may publish in ``codes`` (checked against the vocabulary by a unit test and by the runner);
* returns its findings from ``detect`` (``Found``: a vocabulary code, a 0–1 score and the evidence ``detail``);
* names its optional model in ``missing_model`` (or raises ``models.base.NotConfigured``) to be *skipped*, which the
  runner records as a ``model_not_configured`` fact naming the model;
* may raise anything else: the runner records a ``detector_failed`` fact and the other detectors' findings stand.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from PIL import Image

from models.quality import Quality
from models.video import VideoAnalysis
from service.core.findings import FindingType, finding_type


@dataclass(frozen=True)
class Frame:
    """One picture to screen: the photo itself (``t`` None) or a video keyframe at ``t`` seconds."""

    t: float | None
    image: Image.Image


@dataclass
class Media:
    """What the detectors look at: the frames, and the facts about the file they need."""

    kind: str  # image | video
    frames: list[Frame]
    width: int | None = None  # of the original, when the frames are a smaller preview
    height: int | None = None
    video: VideoAnalysis | None = None  # the decoding pass of a video (statistics for quality)
    caption: str = ""  # submission title and description plus the file's caption (text rules run on it too)


@dataclass(frozen=True)
class Found:
    """A typed finding: its code must be in the vocabulary (``finding_type`` raises ``UnknownFinding`` otherwise)."""

    code: str
    score: float
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        finding_type(self.code)

    @property
    def type(self) -> FindingType:
        return finding_type(self.code)


class Status(enum.StrEnum):
    ran = "ran"
    skipped = "skipped"  # not configured: the model is not on this machine
    failed = "failed"


@dataclass
class Screening:
    """The state one screening run shares between detectors, and what the screen step stores beside the findings."""

    media: Media
    #: nudenet's face boxes per frame ([x, y, w, h]), left by the nudity detector for the face detector
    face_hints: dict[int, list[list[int]]] = field(default_factory=dict)
    ocr_text: str = ""
    faces: int | None = None
    quality: Quality | None = None


@dataclass
class DetectorResult:
    detector: str
    status: Status
    findings: list[Found] = field(default_factory=list)
    reason: str = ""  # skipped: the missing model; failed: the exception
    seconds: float = 0.0


class Detector(ABC):
    """One screening detector (see the module docstring for the contract)."""

    name: ClassVar[str]
    codes: ClassVar[frozenset[str]]

    def missing_model(self) -> str | None:
        """The name of the optional model this detector needs and this machine lacks; None when it can run."""
        return None

    @abstractmethod
    def detect(self, screening: Screening) -> list[Found]:
        """Look at ``screening.media`` and return findings (codes from ``codes`` only)."""
