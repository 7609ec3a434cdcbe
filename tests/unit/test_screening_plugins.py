"""The detector plugins speak only the findings vocabulary, and the runner keeps its contract (ran / skipped / failed)
over real models from the wheels on generated pictures. No servers."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from models.quality import image_quality, video_quality
from models.safety import LABELS, SAFETY_DIRNAME
from models.text_rules import PLATFORMS, PROMOTION_WORDS, RuleHit, check_text
from models.video import VideoAnalysis
from service.core.findings import UnknownFinding, finding_type, queue_flags, risk_score
from service.db.screening import Finding
from tests.screening_media import banner, cjk_font, photo, qr_with_phone
from workers.screening import (
    DETECTORS,
    RUNNER_CODES,
    Detector,
    Found,
    Frame,
    Media,
    Screening,
    Status,
    run_detectors,
)
from workers.screening.quality import ISSUES
from workers.screening.safety import CODES as SAFETY_CODES
from workers.screening.text import TextDetector, finding_of


def test_every_detector_declares_only_vocabulary_codes() -> None:
    assert [d.name for d in DETECTORS] == ["nudity", "safety", "text", "qr", "faces", "quality"]
    for detector in DETECTORS:
        assert detector.codes, detector.name
        for code in detector.codes | RUNNER_CODES:
            finding_type(code)  # raises UnknownFinding for a code the vocabulary does not know


def test_unknown_codes_cannot_be_published() -> None:
    for old_label in ("qr_code", "watermark:douyin", "nudity_score", "ocr_cost", "not_configured",
                      "gps_inside_province"):
        with pytest.raises(UnknownFinding):
            Found(old_label, 1.0)
        with pytest.raises(UnknownFinding):  # the one place a finding row is made (the screen and tag steps)
            Finding(detector="x", label=old_label, score=1.0)
    assert Finding(detector="qr", code="qr", score=1.0).type.name_zh == "二维码"


def test_every_text_rule_hit_maps_to_a_code_the_text_detector_declares() -> None:
    names = [name for names in PLATFORMS.values() for name in names]
    text = " ".join(["电话 13812345678 0531-88886666 400-123-4567 ¥99 原价199元", *PROMOTION_WORDS, *names])
    hits = check_text(text, "ocr")
    assert {h.label.split(":")[0] for h in hits} == {"phone", "price", "promotion", "watermark"}
    assert {h.label.split(":", 1)[1] for h in hits if h.label.startswith("watermark:")} == set(PLATFORMS)
    for hit in [*hits, RuleHit("sensitive", "x", "ocr")]:
        code, extra = finding_of(hit)
        assert code in TextDetector.codes
        assert "platform" not in extra or extra["platform"] in PLATFORMS
    assert finding_of(RuleHit("watermark:douyin", "抖音", "ocr")) == ("watermark", {"platform": "douyin"})


def test_every_safety_class_and_quality_issue_is_a_vocabulary_code() -> None:
    assert set(LABELS.values()) <= set(SAFETY_CODES)
    dark = Image.new("RGB", (200, 150), (3, 3, 3))
    issues = set(image_quality(dark).issues)
    assert {"dark", "blurry", "low_resolution"} <= issues
    bright = Image.new("RGB", (200, 150), (255, 255, 255))
    issues |= set(image_quality(bright).issues)
    times = [i * 0.25 for i in range(16)]
    shaky = VideoAnalysis(duration=4.0, width=320, height=240, fps=4, times=times,
                          luma=[5.0] * 8 + [120.0] * 8, diff=[0.0] * 16, motion=[0.0, 0.5] * 8,
                          audio_rms_db=[-90.0] * 40, has_audio=True)
    issues |= set(video_quality(shaky, [1.0]).issues)
    issues |= set(video_quality(VideoAnalysis(duration=4.0, width=320, height=240, fps=4, times=times,
                                              luma=[120.0] * 16, diff=[5.0] * 16, motion=[0.0] * 16), [1.0]).issues)
    assert issues <= ISSUES, issues - ISSUES
    assert {"black_segment", "frozen_segment", "silence", "no_audio", "shaky", "too_short", "quiet"} <= issues


class _Broken(Detector):
    name = "broken"
    codes: ClassVar[frozenset[str]] = frozenset({"qr"})

    def detect(self, screening: Screening) -> list[Found]:
        raise RuntimeError("model file is corrupt")


class _Unconfigured(Detector):
    name = "clip"
    codes: ClassVar[frozenset[str]] = frozenset({"violence"})

    def missing_model(self) -> str | None:
        return "chinese-clip"

    def detect(self, screening: Screening) -> list[Found]:
        raise AssertionError("a skipped detector is not run")


class _Stray(Detector):
    name = "stray"
    codes: ClassVar[frozenset[str]] = frozenset({"qr"})

    def detect(self, screening: Screening) -> list[Found]:
        return [Found("phone", 1.0)]


class _Counts(Detector):
    name = "counts"
    codes: ClassVar[frozenset[str]] = frozenset({"faces"})

    def detect(self, screening: Screening) -> list[Found]:
        screening.faces = 2
        return [Found("faces", 1.0, {"count": 2})]


def test_runner_records_failed_and_skipped_detectors_and_keeps_the_others() -> None:
    media = Media("image", [Frame(None, photo(1))])
    screening, results = run_detectors(media, (_Broken(), _Unconfigured(), _Stray(), _Counts()))
    assert [(r.detector, r.status) for r in results] == [
        ("broken", Status.failed), ("clip", Status.skipped), ("stray", Status.failed), ("counts", Status.ran)]
    failed = results[0].findings[0]
    assert (failed.code, failed.detail["detector"]) == ("detector_failed", "broken")
    assert "model file is corrupt" in failed.detail["error"]
    skipped = results[1].findings[0]
    assert (skipped.code, skipped.detail["model"]) == ("model_not_configured", "chinese-clip")
    assert "phone" in results[2].reason  # a code the detector does not declare is its failure
    assert [f.code for f in results[3].findings] == ["faces"]
    assert screening.faces == 2


def _codes(image: Image.Image, caption: str = "") -> dict[str, list[Found]]:
    _, results = run_detectors(Media("image", [Frame(None, image)], caption=caption))
    assert all(r.status is not Status.failed for r in results), [r.reason for r in results]
    found: dict[str, list[Found]] = {}
    for result in results:
        for f in result.findings:
            found.setdefault(f.code, []).append(f)
    return found


def test_shipped_chain_on_a_qr_code_with_a_phone_number(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))  # no safety model here
    found = _codes(qr_with_phone())
    assert {"qr", "phone", "nudity_checked", "ocr_time", "model_not_configured"} <= set(found)
    assert "nudity" not in found  # the score is a fact, the risk only when flagged
    assert found["model_not_configured"][0].detail["model"] == SAFETY_DIRNAME
    assert found["qr"][0].detail["text"] == "https://shop.example.com/buy?id=42"
    assert found["ocr_time"][0].detail["seconds"] > 0
    assert risk_score(found) > 0.5
    assert set(queue_flags(found)) >= {"qr", "phone"}
    assert not {"nudity_checked", "ocr_time", "model_not_configured"} & set(queue_flags(found))


def test_shipped_chain_flags_a_watermark_and_leaves_the_weeks_banner_alone() -> None:
    if cjk_font(40) is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")
    marked = banner("抖音号：jineng2023", (960, 300))
    legit = banner("职业教育活动周 技能：让生活更美好", (1200, 300))
    assert marked is not None
    assert legit is not None
    watermark = _codes(marked)["watermark"][0]
    assert watermark.detail["platform"] == "douyin"
    assert watermark.detail["source"] == "ocr"
    assert watermark.detail["boxes"]
    found = _codes(legit, caption="2023年职业教育活动周 开放校园")
    assert not set(found) & {"qr", "barcode", "phone", "price", "promotion", "watermark", "sensitive"}
    assert risk_score(found) == 0.0



def test_discounts_are_promotion_and_a_schools_own_account_is_not_a_watermark() -> None:
    def codes(text: str) -> set[str]:
        return {finding_of(hit)[0] for hit in check_text(text, "ocr")}

    assert codes("新店开业 全场八折") == {"promotion"}
    assert codes("全场8.8折") == {"promotion"}
    assert codes("曲折的道路 折叠椅") == set()
    assert codes("欢迎关注学院微信公众号") == set()  # the evaluation set's false positive before this rule
    assert codes("微信公众号：zjjd2023") == {"watermark"}


def test_safety_detector_runs_with_a_configured_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.screening.safety
    from tests.tiny_models import build_tiny_safety_classifier
    from workers.screening import run_one
    from workers.screening.safety import SafetyDetector

    build_tiny_safety_classifier(tmp_path / SAFETY_DIRNAME)
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    monkeypatch.setattr(workers.screening.safety, "SAFETY_FLAG", 0.0)  # random weights: flag every class
    media = Media("video", [Frame(1.5, photo(1)), Frame(4.0, photo(2))])
    result = run_one(SafetyDetector(), Screening(media))
    assert result.status is Status.ran, result.reason
    assert {f.code for f in result.findings} == {"violence", "weapon", "smoking"}
    assert all(f.detail["t"] in (1.5, 4.0) for f in result.findings)
