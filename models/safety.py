"""Graphic violence, weapons, smoking/drinking: a transformers image classifier from
``$MEDIADESK_MODEL_DIR/safety`` (any image-classification model whose labels name these classes). No such weights
ship in a registry package; without the directory the screen step records an explicit "not configured" finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from models.base import InferenceModel, NotConfigured, model_dir, package_version

SAFETY_DIRNAME = "safety"
#: Label words (lower case) mapped to our stable finding labels; other labels are ignored.
LABELS = {"violence": "violence", "blood": "violence", "gore": "violence", "weapon": "weapon", "gun": "weapon",
          "knife": "weapon", "smok": "smoking", "cigarette": "smoking", "alcohol": "drinking", "drink": "drinking"}


def safety_path() -> Path | None:
    root = model_dir()
    path = root / SAFETY_DIRNAME if root else None
    return path if path and (path / "config.json").exists() else None


class SafetyClassifier(InferenceModel[list[Image.Image], list[dict[str, float]]]):
    name = "safety"
    task = "violence / weapons / smoking-drinking (transformers image classifier)"

    def configured(self) -> bool:
        return safety_path() is not None

    def source(self) -> str:
        path = safety_path()
        return f"model dir {path}" if path else f"not configured ($MEDIADESK_MODEL_DIR/{SAFETY_DIRNAME})"

    def version(self) -> str:
        return package_version("transformers")

    def _load(self) -> Any:
        path = safety_path()
        if path is None:
            raise NotConfigured(f"no model at $MEDIADESK_MODEL_DIR/{SAFETY_DIRNAME}")
        import torch
        from transformers import AutoImageProcessor, AutoModelForImageClassification, pipeline

        torch.set_num_threads(1)
        model = AutoModelForImageClassification.from_pretrained(path, local_files_only=True).eval()
        processor = AutoImageProcessor.from_pretrained(path, local_files_only=True)  # type: ignore[no-untyped-call]
        return pipeline("image-classification", model=model, image_processor=processor, device="cpu")

    def _predict(self, model: Any, inputs: list[Image.Image]) -> list[dict[str, float]]:
        results = []
        for predictions in model([i.convert("RGB") for i in inputs], top_k=None):
            scores: dict[str, float] = {}
            for p in predictions:
                for word, label in LABELS.items():
                    if word in str(p["label"]).lower():
                        scores[label] = max(scores.get(label, 0.0), round(float(p["score"]), 4))
            results.append(scores)
        return results
