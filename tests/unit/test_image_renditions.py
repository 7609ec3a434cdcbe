"""The two image paths (libvips for JPEGs needing a full decode, Pillow for the rest) give the same pictures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from tests import media_samples as media
from workers.profiles import IMAGE_SIZES
from workers.rejections import Rejected
from workers.steps import image as image_renditions

Renders = dict[str, image_renditions.Rendered]


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture.convert("RGB"), dtype=np.int16)


def _render_both(tmp_path: Path, data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[Renders, Renders]:
    source = tmp_path / "in.jpg"
    source.write_bytes(data)
    (tmp_path / "vips").mkdir()
    (tmp_path / "pillow").mkdir()
    with Image.open(source) as opened:
        assert image_renditions._vips_resized(source, opened, IMAGE_SIZES) is not None
    fast = {r.spec.name: r for r in image_renditions.render(source, tmp_path / "vips")}
    with monkeypatch.context() as patch:
        patch.setattr(image_renditions, "pyvips", None)  # the Pillow path, as on an installation without libvips
        plain = {r.spec.name: r for r in image_renditions.render(source, tmp_path / "pillow")}
    return fast, plain


@pytest.mark.parametrize("orientation", [1, 6, 3])
def test_vips_and_pillow_paths_agree_on_size_orientation_and_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   orientation: int) -> None:
    fast, plain = _render_both(tmp_path, media.image_bytes("JPEG", 1600, 1200, orientation=orientation, gps=True),
                               monkeypatch)
    assert fast.keys() == plain.keys() == {"thumb", "thumb_webp", "preview", "preview_webp", "web", "web_webp"}
    upright = (1200, 1600) if orientation == 6 else (1600, 1200)
    assert (fast["web"].width, fast["web"].height) == upright  # never upscaled
    for name, ours in fast.items():
        assert (ours.width, ours.height) == (plain[name].width, plain[name].height), name
        a, b = _pixels(ours.path), _pixels(plain[name].path)
        assert np.abs(a - b).mean() < 3.0, name  # same picture up to resampler and encoder rounding
        with Image.open(ours.path) as derivative:
            assert not derivative.getexif(), name  # no GPS or camera data in any derivative
    # The red block drawn in the stored top-left corner shows where "up" ended up after orientation.
    web = _pixels(fast["web"].path)
    corner = {1: web[10, 10], 6: web[10, -10], 3: web[-10, -10]}[orientation]
    assert corner[0] > 180, corner
    assert corner[1] < 90, corner


def test_grey_and_icc_tagged_jpegs_come_out_as_srgb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    grey = Image.linear_gradient("L").resize((1400, 1000))
    grey.save(buffer, "JPEG", quality=90)
    fast, plain = _render_both(tmp_path, buffer.getvalue(), monkeypatch)
    for name in ("web", "thumb_webp"):
        with Image.open(fast[name].path) as derivative:
            assert derivative.mode == "RGB"
        assert np.abs(_pixels(fast[name].path) - _pixels(plain[name].path)).mean() < 3.0

    tagged = tmp_path / "tagged"
    tagged.mkdir()
    buffer = io.BytesIO()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.open(io.BytesIO(media.image_bytes("JPEG", 1400, 1000))).save(buffer, "JPEG", quality=90, icc_profile=srgb)
    fast, plain = _render_both(tagged, buffer.getvalue(), monkeypatch)
    assert np.abs(_pixels(fast["web"].path) - _pixels(plain["web"].path)).mean() < 3.0


def test_embedded_colour_profile_is_applied_to_the_largest_size_not_every_pixel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone's 12 MP tagged photo (Display P3 on iPhones) goes through LittleCMS at 2560 px, not at 12 MP (a HEIC's
    conversion: 0.40–0.46 s at full size, 0.10–0.15 s at 2560 px); every size is still made, from the converted one."""
    source = tmp_path / "tagged.png"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.open(io.BytesIO(media.image_bytes("PNG", 4000, 3000))).save(source, "PNG", icc_profile=srgb)
    converted: list[tuple[tuple[int, int], bool]] = []
    to_srgb = image_renditions.to_srgb

    def spy(picture: Image.Image) -> Image.Image:
        converted.append((picture.size, "icc_profile" in picture.info))
        return to_srgb(picture)

    monkeypatch.setattr(image_renditions, "to_srgb", spy)
    written = image_renditions.render(source, tmp_path)
    assert converted == [((2560, 1920), True)]  # once, on the largest size, with the photo's profile
    assert {(w.spec.name, w.width) for w in written} >= {("web", 2560), ("preview", 1280), ("thumb", 320)}


def test_truncated_jpeg_falls_back_to_pillow_and_is_named_corrupt(tmp_path: Path) -> None:
    source = tmp_path / "cut.jpg"
    source.write_bytes(media.truncated(media.image_bytes("JPEG", 1600, 1200), 0.5))
    with pytest.raises(Rejected) as caught:
        image_renditions.render(source, tmp_path)
    assert caught.value.code == "corrupt_image"
    assert not list(tmp_path.glob("web*"))


def test_large_jpeg_thumbnails_still_use_draft_decoding(tmp_path: Path) -> None:
    """A thumbnail-only render of a big JPEG stays on Pillow's reduced DCT decode (libvips is for full decodes)."""
    source = tmp_path / "big.jpg"
    source.write_bytes(media.image_bytes("JPEG", 4000, 3000))
    with Image.open(source) as opened:
        assert image_renditions._vips_resized(source, opened, (("thumb", 320),)) is None
        assert image_renditions._vips_resized(source, opened, IMAGE_SIZES) is not None
    written = image_renditions.render(source, tmp_path, (("thumb", 320),))
    assert {(w.width, w.height) for w in written} == {(320, 240)}
