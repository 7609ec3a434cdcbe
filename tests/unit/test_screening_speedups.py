"""The cheaper input paths of the screening models give exactly what the libraries' own paths give: nudenet's
detections, rapidocr's text-detection tensor, open_nsfw's score (docs/PERFORMANCE.md, "Photo step cost")."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from models.base import get_model
from models.nsfw import NsfwClassifier, NudeDetector
from models.ocr import Ocr, _bgr
from tests.screening_media import banner, photo, week_banner_photo
from tests.unit.test_faces_and_ocr import drawn_face, group_photo


def pictures() -> list[Image.Image]:
    made = [photo(5), drawn_face(), group_photo(), week_banner_photo(2), banner("职业教育活动周 开放日") or photo(6),
            photo(7, (1280, 720)), photo(8, (600, 900))]
    return [*made, *(ImageOps.mirror(p) for p in made)]


def test_nudenet_detections_are_nudenets_own() -> None:
    model = get_model(NudeDetector)
    library = model.load()
    seen = 0
    for picture in pictures():
        own = [{"class": d["class"], "score": round(float(d["score"]), 4), "box": [int(v) for v in d["box"]]}
               for d in library.detect(np.ascontiguousarray(np.asarray(picture)[:, :, ::-1]))]
        assert model.predict(picture) == own
        seen += len(own)
    assert seen > 0, "some picture must give detections, or the comparison proves little"


def test_ocr_detection_tensor_is_rapidocrs_own() -> None:
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    det = get_model(Ocr).load().det
    reference = DetPreProcess(det.limit_side_len, det.limit_type, det.mean, det.std)
    for picture in pictures():
        array = _bgr(picture)
        assert np.array_equal(array, np.asarray(picture)[:, :, ::-1])
        expected, got = reference(array), det.get_preprocess()(array)
        assert got.dtype == expected.dtype == np.float32
        assert got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_open_nsfw_scores_are_the_librarys_own() -> None:
    model = get_model(NsfwClassifier)
    library = model.load()
    batch = pictures()[:4]
    assert model.predict(batch) == [float(p.nsfw) for p in library.classify_batch(batch)]
