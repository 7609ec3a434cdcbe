"""The pieces of duplicate screening on code-built pictures: the photo found inside its frame, orientation hashes,
content-anchored windows, and the same-picture check that tells a re-shoot from a burst shot."""

from __future__ import annotations

from models.hashing import hamming, local_windows, pdq, pdq_orientations, photo_regions
from models.picture_match import compare
from tests.duplicate_media import (
    article,
    bordered,
    figure,
    mirrored,
    off_centre_crop,
    reshot,
    scene,
    screenshot,
    turned,
)


def test_photo_inside_a_screenshot_and_inside_a_border_is_found() -> None:
    original = scene(3)
    shot = screenshot(original)  # photo pasted at (30, 160), 660 px wide
    boxes = photo_regions(shot)
    assert boxes
    left, top, right, bottom = boxes[-1]
    assert abs(left - 30) <= 8
    assert abs(top - 160) <= 8
    assert abs(right - 690) <= 8
    assert min(hamming(pdq(shot.crop(box)).bits, pdq(original).bits) for box in boxes) <= 31
    framed = bordered(original)
    assert min(hamming(pdq(framed.crop(box)).bits, pdq(original).bits) for box in photo_regions(framed)) <= 10
    assert photo_regions(original) == []  # a photo that fills its frame has no region besides the whole


def test_a_photo_with_a_pale_sky_is_found_whole_inside_a_white_screenshot() -> None:
    """The photo's own near-white top (a pale sky) is not the screenshot's white margin: the region reaches the
    photo's real edges (within 2 px), so its hash stays close to the original's."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(scene(4).convert("RGB")).copy()
    rows = pixels.shape[0] // 4
    noise = np.random.default_rng(4).integers(-3, 4, (rows, pixels.shape[1], 1))
    pixels[:rows] = np.clip(244 + noise, 0, 255).astype(np.uint8)  # pale, slightly grainy sky
    original = Image.fromarray(pixels)
    shot = screenshot(original)  # pasted at (30, 160), 660 px wide
    height = round(original.height * 660 / original.width)
    box = photo_regions(shot)[-1]
    assert max(abs(a - b) for a, b in zip(box, (30, 160, 690, 160 + height), strict=True)) <= 2, box
    assert hamming(pdq(shot.crop(box)).bits, pdq(original).bits) <= 20


def test_a_photo_as_wide_as_the_screen_is_found_inside_an_article_screenshot() -> None:
    """No side margins (a re-posted article, JPEG): the frame is known by its flat rows, the photo by the rest."""
    original = scene(6)
    shot = article(original)  # pasted at (0, 200), 720 px wide
    height = round(original.height * 720 / original.width)
    near = [box for box in photo_regions(shot)
            if max(abs(a - b) for a, b in zip(box, (0, 200, 720, 200 + height), strict=True)) <= 3]
    assert near, photo_regions(shot)
    assert hamming(pdq(shot.crop(near[0])).bits, pdq(original).bits) <= 20


def test_mirrored_and_turned_copies_hash_as_one_of_the_eight_orientations() -> None:
    original = pdq(scene(5)).bits
    for copy in (mirrored(scene(5)), turned(scene(5))):
        assert min(hamming(h.bits, original) for h in pdq_orientations(copy).values()) <= 8


def test_an_off_centre_crop_shares_a_local_window() -> None:
    original = scene(7)
    stored = [pdq(original.crop(box)).bits for box in local_windows(original)]
    crop = off_centre_crop(original)
    query = [pdq(crop.crop(box)).bits for box in local_windows(crop)]
    assert stored
    assert query
    assert min(hamming(a, b) for a in query for b in stored) <= 31


def test_a_reshoot_is_the_same_picture_a_burst_only_aligns_and_another_photo_neither() -> None:
    base = scene(9)
    assert compare(reshot(base), base).same
    burst = compare(figure(base, 600), figure(base, 150))
    assert burst.aligned
    assert not burst.same
    other = compare(scene(10), base)
    assert not other.aligned


def test_band_probes_at_radius_2_reach_every_hash_within_32_bits() -> None:
    """The lookup's exactness: a stored hash up to 32 bits from the query, however the flips fall, keeps one band
    within 2 of the query's (so a radius-2 probe fetches it); worst cases spread the flips evenly over the bands."""
    import random

    from models.hashing import BAND_WIDTHS, BANDS, band_probes, band_values

    rng = random.Random(5)
    starts = [sum(BAND_WIDTHS[:i]) for i in range(BANDS)]
    for trial in range(300):
        query = [rng.choice("01") for _ in range(256)]
        if trial % 2:  # adversarial: three flips in each band but the last (3 × 10 + 2 = 32)
            flips = [starts[b] + k for b in range(BANDS) for k in range(3 if b < BANDS - 1 else 2)]
        else:
            flips = rng.sample(range(256), rng.randint(0, 32))
        stored = list(query)
        for bit in flips:
            stored[bit] = "1" if stored[bit] == "0" else "0"
        probes = [set(band_probes(v, w, 2)) for v, w in zip(band_values("".join(query)), BAND_WIDTHS, strict=True)]
        assert any(v in p for v, p in zip(band_values("".join(stored)), probes, strict=True)), flips
    assert len(band_probes(0, 23, 2)) == 1 + 23 + 253
    assert band_values("1" * 256, "video")[0] == (1 << 24) - 1 + (1 << 24)
