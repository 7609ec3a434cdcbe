"""Detectors of ``models/`` on generated inputs: QR + phone, a Chinese banner, text rules, quality, a video with a
black segment, near-duplicate hashes and the week's taxonomy. Real models from the wheels, no servers."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from models.base import get_model, registered
from models.faces import count_faces
from models.hashing import CROP_VARIANTS, PDQ_MATCH_DISTANCE, central, hamming, pdq
from models.nsfw import screen_nudity
from models.ocr import Ocr
from models.qr import find_barcodes
from models.quality import image_quality, sharpness, video_quality
from models.tagger import TaxonomyTag, match_text, mentions_week, province_check, week_check
from models.text_rules import check_text
from models.video import GREY_CHANGE_ONLY, FrameSampler, SceneRule, analyse_video
from service.campaigns.seed import seed_document
from tests.screening_media import banner, cjk_font, jpeg, photo, qr_with_phone, video


def seed_tags() -> tuple[TaxonomyTag, ...]:
    """The shipped seed as the tagger's values (a campaign's stored copy starts as exactly this)."""
    return tuple(TaxonomyTag(t["name"], t["en"], f["code"], tuple(t["keywords"]))
                 for f in seed_document()["facets"] for t in f["tags"])


def labels(text: str) -> set[str]:
    return {hit.label for hit in check_text(text, "ocr")}


def test_qr_code_and_phone_number_are_found() -> None:
    image = qr_with_phone()
    codes = find_barcodes(image)
    assert [c.text for c in codes] == ["https://shop.example.com/buy?id=42"]
    assert "QR" in codes[0].format
    result = get_model(Ocr).predict(image)
    assert "13812345678" in result.text.replace(" ", "")
    assert result.recognised
    assert result.seconds > 0
    assert "phone" in labels(result.text)


def test_chinese_banner_is_read_and_its_watermark_flagged() -> None:
    if cjk_font(40) is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")
    image = banner("2023年职业教育活动周 抖音号:jineng")
    assert image is not None
    text = get_model(Ocr).predict(image).text
    assert "职业教育活动周" in text
    assert mentions_week(text, seed_document()["week_keywords"])
    assert "watermark:douyin" in labels(text)


def test_ocr_skips_recognition_when_no_text() -> None:
    plain = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    result = get_model(Ocr).predict(plain)
    assert result.text == ""
    assert result.detected_boxes == 0
    assert not result.recognised


def test_text_rules_flag_promotion_and_leave_public_interest_text_alone(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    assert labels("限时特价 ¥99 扫码关注 小红书 微信号 abc") >= {"price", "promotion", "watermark:xiaohongshu",
                                                                 "watermark:wechat"}
    assert labels("座机 0531-88881234 热线 400-123-4567") == {"phone"}
    assert labels("2023年职业教育活动周 开放校园 技能：让生活更美好 学生展示数控加工") == set()
    words = tmp_path / "words.txt"
    words.write_text("# comment\n违禁词\n", encoding="utf-8")
    monkeypatch.setenv("MEDIADESK_SENSITIVE_WORDS_FILE", str(words))
    assert labels("标题里有违禁词") == {"sensitive"}


def test_quality_separates_sharp_blurred_dark_and_small() -> None:
    sharp = photo(7, (1600, 1200))
    draw = ImageDraw.Draw(sharp)
    for x in range(0, 1600, 8):  # fine detail, like foliage or text
        draw.line((x, 0, x, 1200), fill=(0, 0, 0) if x % 16 else (255, 255, 255))
    blurred = sharp.filter(ImageFilter.GaussianBlur(6))
    good, bad = image_quality(sharp), image_quality(blurred)
    assert "blurry" not in good.issues
    assert "blurry" in bad.issues
    assert good.score > bad.score
    assert "dark" in image_quality(ImageEnhance.Brightness(sharp).enhance(0.1)).issues
    assert "low_resolution" in image_quality(photo(7, (400, 300))).issues
    assert set(good.parts) >= {"sharpness", "exposure", "resolution"}


def test_video_black_segment_silence_and_keyframes(tmp_path: Path) -> None:
    path = video(tmp_path / "v.mp4", [(3, photo(1)), (2, None), (3, photo(2))])
    analysis = analyse_video(path)
    assert len(analysis.keyframes) >= 3
    quality = video_quality(analysis, [sharpness(k.image) for k in analysis.keyframes])
    (start, end), = quality.parts["black_segments"]
    assert 2.5 <= start <= 3.5
    assert 4.5 <= end <= 5.5
    assert quality.parts["silent_segments"]
    assert {"black_segment", "silence"} <= set(quality.issues)
    assert "shaky" not in quality.issues  # a slow steady pan is not shake
    assert 0 <= quality.score <= 100


def _transformed(image: Image.Image) -> dict[str, Image.Image]:
    w, h = image.size
    overlay = image.copy()  # a caption burnt in, as re-posted copies often have
    ImageDraw.Draw(overlay).text((w // 20, int(h * 0.85)), "2023 Activity Week / Skills Show",
                                 font=ImageFont.load_default(size=h // 20), fill=(255, 255, 255))
    return {
        "resize": image.resize((w // 2, h // 2)),
        "jpeg40": Image.open(io.BytesIO(jpeg(image, 40))),
        "crop5": central(image, 0.95),
        "brighter": ImageEnhance.Brightness(image).enhance(1.2),
        "overlay": overlay,
    }


def test_near_duplicates_match_and_unrelated_photos_do_not() -> None:
    original = photo(11, (1024, 768))
    stored = [pdq(central(original, keep)).bits for _, keep in CROP_VARIANTS]
    for name, copy in _transformed(original).items():
        query = pdq(copy).bits
        assert min(hamming(query, s) for s in stored) <= PDQ_MATCH_DISTANCE, name
    for seed in range(20, 30):
        other = pdq(photo(seed, (1024, 768))).bits
        assert min(hamming(other, s) for s in stored) > PDQ_MATCH_DISTANCE


def test_nudity_and_faces_on_an_ordinary_photo() -> None:
    image = photo(5)
    result = screen_nudity(image)
    assert result.nsfw_score < 0.5
    assert result.detections == []
    count, boxes = count_faces(image, result.faces)
    assert count == len(boxes) == 0
    loaded = {m.name: m.info() for m in registered()}
    assert loaded["nsfw"].loaded
    assert loaded["nudenet"].source.startswith("wheel")


def test_taxonomy_matches_metadata_and_checks_time_and_place() -> None:
    found = {m.name: m for m in match_text("开放校园：学生在实训室展示数控技能，校企合作推进产教融合", seed_tags())}
    assert {"开放校园", "产教融合", "实训室"} <= set(found)
    assert found["开放校园"].score >= 0.9
    assert found["开放校园"].facet == "activity"
    assert week_check(datetime(2023, 5, 16, 10), date(2023, 5, 14), date(2023, 5, 20)) == "in_week"
    assert week_check(datetime(2023, 4, 1), date(2023, 5, 14), date(2023, 5, 20)) == "outside_week"
    assert province_check(36.65, 117.0, "370100") == "inside"  # Jinan, Shandong
    assert province_check(23.13, 113.26, "370100") == "outside"  # Guangzhou


def _scene_samples(frames: list[Image.Image], rule: SceneRule | None = None) -> list[int]:
    """Indices of the samples ``FrameSampler`` keeps as scene keyframes (4 a second, as derive feeds it)."""
    sampler = FrameSampler(uniform_every=60.0, rule=rule)
    for i, frame in enumerate(frames):
        sampler.add(i / 4, frame)
    return [round(k.t * 4) for k in sampler.result.keyframes if k.reason == "scene"]


def test_scene_keyframes_follow_cuts_not_camera_motion() -> None:
    """Every scene keyframe is screened in full: a fast pan is one shot, a cut (also to another framing of the same
    place) starts a new one. The grey change alone, the rule before, took the pan for cuts."""
    grain = np.random.default_rng(5).normal(0, 30, (1000, 2400, 1))  # a real scene's texture, which a pan carries along
    wide = Image.fromarray(np.clip(np.asarray(photo(1, (2400, 1000)), dtype=np.float32) + grain, 0, 255)
                           .astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))

    def framing(x: int, y: int = 100, width: int = 800) -> Image.Image:
        return wide.resize((640, 360), box=(x, y, x + width, y + width * 9 // 16))

    pan = [framing(120 * i) for i in range(12)]  # 15 % of the width a sample: a whip pan
    other_place = [photo(2, (640, 360))] * 4
    same_place = [framing(700, 300, 560)] * 4  # a closer framing of another part of the first place
    frames = pan + other_place + pan[:4] + same_place
    assert _scene_samples(frames) == [0, 12, 16, 20]
    assert len(_scene_samples(pan, GREY_CHANGE_ONLY)) > 1  # motion counted as cuts
