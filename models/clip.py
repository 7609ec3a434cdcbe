"""Visual zero-shot tagging with a transformers CLIP / Chinese-CLIP model, loaded ONLY from
``$MEDIADESK_MODEL_DIR/chinese-clip`` (``mediadesk models pull chinese-clip`` puts it there). No weights ship in any
registry package, so without the directory the tagger reports itself "not configured" instead of downloading."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from models.base import InferenceModel, NotConfigured, model_dir, package_version

CLIP_DIRNAME = "chinese-clip"
TEMPLATE = "这是一张{}的照片"
MIN_VISUAL_SCORE = 0.25
#: Two photos whose image embeddings are at least this close (cosine similarity) are offered to editors as visual
#: similar shots (``workers.steps.tag``; the only owner of this threshold). Chosen for Chinese-CLIP ViT-B/16, where
#: other frames of one moment sit around 0.9 and unrelated photos of school events lower; not measured here (no real
#: model on the development machine): ``python -m tests.eval.duplicates`` with ``MEDIADESK_MODEL_DIR`` measures it.
SIMILAR_SHOT_MIN_COSINE = 0.90


@dataclass(frozen=True)
class VisualLabel:
    label: str
    score: float


def clip_path() -> Path | None:
    root = model_dir()
    path = root / CLIP_DIRNAME if root else None
    return path if path and (path / "config.json").exists() else None


class ZeroShotTagger(InferenceModel[tuple[list[Image.Image], list[str]], list[list[VisualLabel]]]):
    name = "chinese-clip"
    task = "zero-shot visual tags (transformers Chinese-CLIP/CLIP)"

    def configured(self) -> bool:
        return clip_path() is not None

    def source(self) -> str:
        path = clip_path()
        return f"model dir {path}" if path else f"not configured ($MEDIADESK_MODEL_DIR/{CLIP_DIRNAME})"

    def version(self) -> str:
        return package_version("transformers")

    def _load(self) -> Any:
        path = clip_path()
        if path is None:
            raise NotConfigured(f"no model at $MEDIADESK_MODEL_DIR/{CLIP_DIRNAME}")
        import torch
        from transformers import AutoModel, AutoProcessor

        torch.set_num_threads(1)
        processor = AutoProcessor.from_pretrained(path, local_files_only=True)  # type: ignore[no-untyped-call]
        model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        return model, processor

    def _predict(self, model: Any, inputs: tuple[list[Image.Image], list[str]]) -> list[list[VisualLabel]]:
        import torch

        clip, processor = model
        images, labels = inputs
        texts = [TEMPLATE.format(label) for label in labels]
        with torch.inference_mode():
            batch = processor(text=texts, images=[i.convert("RGB") for i in images], return_tensors="pt",
                              padding=True)
            probabilities = clip(**batch).logits_per_image.softmax(dim=-1)
        return [sorted((VisualLabel(label, round(float(p), 4)) for label, p in zip(labels, row, strict=True)),
                       key=lambda v: -v.score) for row in probabilities]

    def embed(self, images: list[Image.Image]) -> list[list[float]]:
        """Normalised image features (stored in ``asset_embedding`` for similarity search)."""
        import torch

        clip, processor = self.load()
        with torch.inference_mode():
            pixels = processor(images=[i.convert("RGB") for i in images], return_tensors="pt")
            features = clip.get_image_features(**pixels)
            if not isinstance(features, torch.Tensor):  # some versions return a model output
                features = features.pooler_output
            features = features / features.norm(dim=-1, keepdim=True)
        return [[round(float(v), 6) for v in row] for row in features]
