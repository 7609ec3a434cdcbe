"""Violence / weapon / smoking screening loads a transformers classifier from the model directory (a tiny one the
test builds) and maps its labels; without one it is "not configured"."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.base import NotConfigured
from models.safety import SAFETY_DIRNAME, SafetyClassifier
from tests.screening_media import photo
from tests.tiny_models import build_tiny_safety_classifier


def test_safety_classifier_from_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tiny_safety_classifier(tmp_path / SAFETY_DIRNAME)
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    classifier = SafetyClassifier()
    assert classifier.configured()
    results = classifier.predict([photo(1), photo(2)])
    assert len(results) == 2
    for scores in results:
        assert set(scores) == {"violence", "weapon", "smoking"}  # "safe" is not a finding
        assert all(0.0 <= v <= 1.0 for v in scores.values())


def test_safety_classifier_without_model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    classifier = SafetyClassifier()
    assert not classifier.configured()
    with pytest.raises(NotConfigured):
        classifier.predict([photo(1)])
