"""Tiny transformers models with random weights, built and saved by tests (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from service.campaigns.seed import seed_visual_prompts


def build_tiny_chinese_clip(target: Path) -> Path:
    import torch
    from transformers import (
        BertTokenizer,
        ChineseCLIPConfig,
        ChineseCLIPImageProcessorPil,
        ChineseCLIPModel,
        ChineseCLIPProcessor,
    )

    torch.manual_seed(0)
    chars = sorted({c for label in seed_visual_prompts().values() for c in label} | set("这是一张的照片"))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    target.mkdir(parents=True)
    (target / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(target / "vocab.txt"))
    config = ChineseCLIPConfig(
        text_config={"vocab_size": len(vocab), "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "intermediate_size": 37, "max_position_embeddings": 64},
        vision_config={"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 37,
                       "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    ChineseCLIPModel(config).save_pretrained(target)
    image_processor = ChineseCLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    ChineseCLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(target)
    return target


def build_tiny_safety_classifier(target: Path) -> Path:
    """A tiny ViT image classifier whose labels name the classes ``models.safety`` maps (random weights)."""
    import torch
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessorPil

    torch.manual_seed(0)
    labels = ["safe", "violence", "weapon", "smoking"]
    config = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                       image_size=32, patch_size=8, num_labels=len(labels),
                       id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)})
    ViTForImageClassification(config).save_pretrained(target)
    ViTImageProcessorPil(size={"height": 32, "width": 32}).save_pretrained(target)
    return target
