"""Every model mediadesk can use, for ``mediadesk models list|check`` and for workers that preload."""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw

from models.base import InferenceModel, NotConfigured, get_model
from models.blazeface import BlazeFace
from models.clip import ZeroShotTagger
from models.faces import HaarFaces
from models.nsfw import NsfwClassifier, NudeDetector
from models.ocr import Ocr
from models.safety import SafetyClassifier

MODELS: tuple[type[InferenceModel[Any, Any]], ...] = (
    NsfwClassifier, NudeDetector, BlazeFace, HaarFaces, Ocr, ZeroShotTagger, SafetyClassifier,
)
#: Optional transformers models ``models pull`` can fetch, with a default Hugging Face repository where one fits.
PULLABLE: dict[str, str | None] = {"chinese-clip": "OFA-Sys/chinese-clip-vit-base-patch16", "safety": None}


def instances() -> list[InferenceModel[Any, Any]]:
    return [get_model(cls) for cls in MODELS]


def _probe_image() -> Image.Image:
    image = Image.new("RGB", (320, 160), "white")
    ImageDraw.Draw(image).text((20, 60), "mediadesk 2023", fill="black")
    return image


def check(model: InferenceModel[Any, Any]) -> str:
    """Load ``model`` and run it once on a small generated image: ``ok``, ``not configured`` or the error."""
    image = _probe_image()
    inputs: Any = {
        "nsfw": [image], "safety": [image], "chinese-clip": ([image], ["课堂", "户外"]),
    }.get(model.name, image)
    try:
        model.predict(inputs)
    except NotConfigured:
        return "not configured"
    except Exception as exc:  # reported to the operator, who fixes the installation
        return f"error: {exc.__class__.__name__}: {exc}"
    return "ok"
