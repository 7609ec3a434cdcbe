"""The evaluation set's generator (tests/eval/dataset.py), on code-built photos: deterministic, and its ground truth
agrees with the text rules and the findings vocabulary."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from models.text_rules import check_text
from service.core.findings import FINDINGS
from tests.eval.dataset import EvalItem, MediaMissing, build_set
from tests.screening_media import cjk_font, photo


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if cjk_font(20) is None:
        pytest.skip("no CJK font installed (fonts-wqy-zenhei)")
    folder = tmp_path_factory.mktemp("photos")
    for seed in range(5):
        photo(seed, (640 + 40 * seed, 480)).save(folder / f"p{seed}.jpg", quality=92)
    return folder


def _digest(items: list[EvalItem]) -> list[tuple[str, str]]:
    return [(item.path.name, hashlib.sha256(item.path.read_bytes()).hexdigest()) for item in items]


def test_same_photos_give_the_same_set(media: Path, tmp_path: Path) -> None:
    first = build_set(tmp_path / "a", media)
    second = build_set(tmp_path / "b", media)
    assert _digest(first) == _digest(second)
    assert {i.kind for i in first} >= {
        "banner",
        "sign",
        "phone",
        "price",
        "watermark",
        "vertical",
        "small",
        "qr",
        "clean",
        "sensitive",
    }
    assert min(i.height for i in first if i.kind == "small") >= 0.02


def test_ground_truth_codes_are_vocabulary_codes_the_rules_find_in_the_lines(media: Path, tmp_path: Path) -> None:
    for item in build_set(tmp_path, media):
        assert item.codes <= set(FINDINGS)
        from_rules = {hit.label.split(":")[0] for hit in check_text("\n".join(item.lines), "ocr")}
        expected_text_codes = item.codes - {"qr"}
        assert from_rules == expected_text_codes, item


def test_missing_photos_say_where_they_were_looked_for(tmp_path: Path) -> None:
    with pytest.raises(MediaMissing, match="no real photos"):
        build_set(tmp_path / "out", tmp_path / "nowhere")
