"""Metadata written into delivered files, and safe file names (no servers needed)."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, IptcImagePlugin

from service.db.credits import Credits, delivery_filename, safe_name_part
from workers.delivery.jpeg_meta import NotAJpeg, write_jpeg_metadata
from workers.packages import unique_name

CREDITS = Credits(headline="开放校园", caption="学生展示数控技能 & <b>", credit="济南职业学院宣传部", byline="张三",
                  date=date(2023, 5, 15), place="山东省济南市", region_code="370100", organization="济南职业学院",
                  copyright="职业教育活动周组委会", keywords=("产教融合", "职普融通"))


def _jpeg(**save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, "JPEG", **save)
    return out.getvalue()


def _tag(data: bytes, credits: Credits = CREDITS) -> Image.Image:
    out = io.BytesIO()
    write_jpeg_metadata(io.BytesIO(data), out, credits)
    image = Image.open(io.BytesIO(out.getvalue()))
    image.load()
    return image


def test_iptc_and_xmp_read_back_and_camera_exif_is_dropped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0112] = 3
    exif[0x8825] = {1: "N", 2: (36.0, 40.0, 1.5)}
    image = _tag(_jpeg(exif=exif.tobytes()))
    info = IptcImagePlugin.getiptcinfo(image)
    assert info is not None
    assert info[(2, 120)].decode() == "学生展示数控技能 & <b>"
    assert info[(2, 110)].decode() == "济南职业学院宣传部"
    assert info[(2, 25)] == ["产教融合".encode(), "职普融通".encode()]
    assert 0x010F not in image.getexif()
    assert not image.getexif().get_ifd(0x8825)
    assert image.getexif()[0x0112] == 3  # orientation kept: the photo still displays upright
    assert "学生展示数控技能 &amp; &lt;b&gt;" in image.info["xmp"].decode()
    assert image.size == (40, 30)


def test_tagging_twice_replaces_instead_of_stacking() -> None:
    once = io.BytesIO()
    write_jpeg_metadata(io.BytesIO(_jpeg()), once, CREDITS)
    changed = Credits(**{**CREDITS.__dict__, "caption": "更正"})
    twice = io.BytesIO()
    write_jpeg_metadata(io.BytesIO(once.getvalue()), twice, changed)
    data = twice.getvalue()
    assert data.count(b"Photoshop 3.0\x00") == 1
    assert data.count(b"http://ns.adobe.com/xap/1.0/\x00") == 1
    info = IptcImagePlugin.getiptcinfo(Image.open(io.BytesIO(data)))
    assert info is not None
    assert info[(2, 120)].decode() == "更正"


def test_long_caption_is_cut_on_a_character_boundary() -> None:
    image = _tag(_jpeg(), Credits(**{**CREDITS.__dict__, "caption": "技" * 5000}))
    info = IptcImagePlugin.getiptcinfo(image)
    assert info is not None
    caption = info[(2, 120)].decode()  # would raise on half a UTF-8 sequence
    assert 600 <= len(caption) <= 2000 // 3


def test_not_a_jpeg_is_refused() -> None:
    with pytest.raises(NotAJpeg):
        write_jpeg_metadata(io.BytesIO(b"\x89PNG\r\n\x1a\n...."), io.BytesIO(), CREDITS)
    with pytest.raises(NotAJpeg):
        write_jpeg_metadata(io.BytesIO(b"\xff\xd8\xff\xe0\x00"), io.BytesIO(), CREDITS)


@given(st.text(max_size=80))
def test_name_parts_never_carry_paths(text: str) -> None:
    part = safe_name_part(text)
    assert part
    assert not set(part) & set('/\\:*?"<>|\x00')
    assert ".." not in part
    assert not part.startswith((".", "-", " "))


def test_delivery_names_are_unique_inside_a_package() -> None:
    taken: set[str] = set()
    name = delivery_filename("1a2b3c4d-0000", Credits(**{**CREDITS.__dict__, "headline": "../../etc/passwd"}),
                             "web", "image/jpeg")
    assert name == "2023-05-15_etc_passwd_1a2b3c4d_web.jpg"
    assert [unique_name(name, taken) for _ in range(3)] == [
        name, name.replace(".jpg", "-2.jpg"), name.replace(".jpg", "-3.jpg")]


def test_location_is_kept_only_when_asked() -> None:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (36.0, 40.0, 1.5)}
    exif[0x8769] = {0xA431: "SN-1"}
    out = io.BytesIO()
    write_jpeg_metadata(io.BytesIO(_jpeg(exif=exif.tobytes())), out, CREDITS, keep_location=True)
    kept = Image.open(io.BytesIO(out.getvalue())).getexif()
    assert kept.get_ifd(0x8825)[1] == "N"
    assert b"SN-1" not in out.getvalue()


def test_video_delivery_drops_the_camera_location(tmp_path: Path) -> None:
    from workers.delivery.video_meta import write_video_metadata
    from workers.ffmpeg import ffmpeg_binary

    src, dst = tmp_path / "in.mp4", tmp_path / "out.mp4"
    subprocess.run([ffmpeg_binary(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                    "-c:v", "libx264", "-metadata", "location=+36.6512+117.1201/", "-metadata", "model=iPhone 15",
                    "-movflags", "use_metadata_tags", str(src)], check=True)
    assert b"+36.6512" in src.read_bytes()
    write_video_metadata(src, dst, CREDITS, "video/mp4")
    data = dst.read_bytes()
    assert b"+36.6512" not in data
    assert b"iPhone" not in data
    assert "学生展示数控技能".encode() in data


def test_heic_original_becomes_a_jpeg_without_camera_exif(tmp_path: Path) -> None:
    import pillow_heif

    from workers.delivery.privacy import to_jpeg

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x8825] = {1: "N", 2: (36.0, 40.0, 1.5)}
    src, dst, tagged = tmp_path / "in.heic", tmp_path / "out.jpg", io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(src, "HEIF", exif=exif.tobytes())
    to_jpeg(src, dst)
    write_jpeg_metadata(io.BytesIO(dst.read_bytes()), tagged, CREDITS)
    image = Image.open(io.BytesIO(tagged.getvalue()))
    assert image.format == "JPEG"
    assert image.size == (64, 48)
    assert not image.getexif().get_ifd(0x8825)
    assert b"Canon" not in tagged.getvalue()
    info = IptcImagePlugin.getiptcinfo(image)
    assert info is not None
    assert info[(2, 110)].decode() == "济南职业学院宣传部"
