"""The transformers visual tagger runs the real loading code on a tiny Chinese-CLIP with random weights that the test
builds and saves itself (no weights are downloaded); without a model directory it reports "not configured"."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.base import NotConfigured
from models.clip import CLIP_DIRNAME, ZeroShotTagger
from service.campaigns.seed import seed_visual_prompts
from tests.screening_media import photo
from tests.tiny_models import build_tiny_chinese_clip


def test_tiny_chinese_clip_tags_with_chinese_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tiny_chinese_clip(tmp_path / CLIP_DIRNAME)
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    tagger = ZeroShotTagger()
    assert tagger.configured()
    assert str(tmp_path) in tagger.source()
    labels = list(seed_visual_prompts().values())
    results = tagger.predict(([photo(1), photo(2)], labels))
    assert len(results) == 2
    for ranked in results:
        assert {v.label for v in ranked} == set(labels)
        assert sum(v.score for v in ranked) == pytest.approx(1.0, abs=1e-3)
        assert [v.score for v in ranked] == sorted((v.score for v in ranked), reverse=True)
    assert tagger.loaded
    embedding = tagger.embed([photo(1)])[0]
    assert len(embedding) == 16
    assert sum(v * v for v in embedding) == pytest.approx(1.0, abs=1e-3)


def test_visual_tagger_without_model_dir_is_not_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    tagger = ZeroShotTagger()
    assert not tagger.configured()
    assert "not configured" in tagger.source()
    with pytest.raises(NotConfigured):
        tagger.predict(([photo(1)], ["课堂"]))
