"""The one EXIF reader (``service.core.exif``) on real JPEGs written by Pillow, and the probe that uses it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from models.tagger import week_check
from service.core import exif
from workers.image_probe import probe_image


def _jpeg(original: str | None = None, offset: str | None = None, modified: str | None = None,
          gps: tuple[float, float] | None = None) -> bytes:
    data = Image.Exif()
    if modified:
        data[0x0132] = modified  # IFD0 DateTime: when the file was last changed
    if original:
        data.get_ifd(0x8769)[0x9003] = original
    if offset:
        data.get_ifd(0x8769)[0x9011] = offset
    if gps:
        data.get_ifd(0x8825).update({1: "N" if gps[0] >= 0 else "S", 2: (abs(gps[0]), 0.0, 0.0),
                                     3: "E" if gps[1] >= 0 else "W", 4: (abs(gps[1]), 0.0, 0.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(buffer, "JPEG", exif=data)
    return buffer.getvalue()


def _read(data: bytes) -> exif.ExifFacts:
    return exif.read(Image.open(io.BytesIO(data)).getexif())


def test_offset_time_original_gives_the_zone() -> None:
    facts = _read(_jpeg("2023:05:15 09:30:00", "-05:00"))
    assert facts.capture is not None
    assert facts.capture.zone == "exif"
    assert facts.capture.moment == datetime(2023, 5, 15, 9, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_without_an_offset_beijing_time_is_assumed_and_said() -> None:
    facts = _read(_jpeg("2023:05:15 09:30:00"))
    assert facts.capture is not None
    assert facts.capture.zone == "assumed_utc+8"
    assert facts.capture.moment.isoformat() == "2023-05-15T09:30:00+08:00"


def test_no_fallback_to_the_file_change_time() -> None:
    assert _read(_jpeg(modified="2023:05:16 12:00:00")).capture is None


@pytest.mark.parametrize(("value", "offset"), [
    ("9999:12:31 23:59:59", "-05:00"),  # converted to UTC this is year 10000: no timestamp type holds it
    ("0000:00:00 00:00:00", None),
    ("1970:01:01 00:00:00", None),
    ("2150:01:01 00:00:00", "+08:00"),
    ("not a date", None),
])
def test_out_of_bounds_or_malformed_dates_are_unknown(value: str, offset: str | None) -> None:
    facts = _read(_jpeg(value, offset))
    assert facts.capture is None
    assert facts.refused_time == value


def test_a_malformed_offset_counts_as_none() -> None:
    facts = _read(_jpeg("2023:05:15 09:30:00", "+99:99"))
    assert facts.capture is not None
    assert facts.capture.zone == "assumed_utc+8"


def test_gps_is_read_and_a_receiver_without_fix_is_unknown() -> None:
    assert _read(_jpeg(gps=(36.65, 117.0))).gps == pytest.approx((36.65, 117.0))
    assert _read(_jpeg(gps=(-33.5, -70.5))).gps == pytest.approx((-33.5, -70.5))
    assert _read(_jpeg(gps=(0.0, 0.0))).gps is None


def test_probe_records_the_time_its_zone_and_a_refused_value(tmp_path: Path) -> None:
    path = tmp_path / "original"
    path.write_bytes(_jpeg("2023:05:15 09:30:00", "+09:00"))
    probe = probe_image(path)
    assert probe.capture_time == datetime(2023, 5, 15, 0, 30, tzinfo=UTC)
    assert probe.info["capture_time_zone"] == "exif"
    path.write_bytes(_jpeg("9999:12:31 23:59:59", "-05:00"))
    probe = probe_image(path)
    assert probe.capture_time is None
    assert probe.info["capture_time_refused"] == "9999:12:31 23:59:59"


def test_video_creation_times_share_the_bounds() -> None:
    from workers.video_probe import _creation_time

    assert _creation_time("2023-05-15T01:30:00.000000Z") == datetime(2023, 5, 15, 1, 30, tzinfo=UTC)
    assert _creation_time("1904-01-01T00:00:00.000000Z") is None  # QuickTime's zero date
    assert _creation_time("9999-12-31T23:59:59-05:00") is None
    assert _creation_time("2023-05-15T10:30:00+0800") == datetime(2023, 5, 15, 2, 30, tzinfo=UTC)  # Apple's form


def test_the_week_is_counted_in_beijing_days() -> None:
    week = (date(2023, 5, 14), date(2023, 5, 20))
    late_evening_in_new_york = datetime(2023, 5, 21, 20, 0, tzinfo=timezone(timedelta(hours=-5)))  # 22 May, Beijing
    assert week_check(late_evening_in_new_york, *week) == "outside_week"
    assert week_check(datetime(2023, 5, 21, 9, 0, tzinfo=timezone(timedelta(hours=8))), *week) == "in_week"


def test_a_capture_early_in_the_morning_in_beijing_is_delivered_with_its_beijing_day() -> None:
    from types import SimpleNamespace

    from service.db.credits import credits_for

    asset = SimpleNamespace(capture_time=datetime(2023, 5, 14, 23, 0, tzinfo=UTC),  # 07:00 in Beijing
                            headline="", caption="", credit="")
    submission = SimpleNamespace(activity_date=None, title="开放校园", description="", credits="", place="",
                                 region_code="370100", theme_tags=[], activity="")
    org = SimpleNamespace(name="山东省教育厅", region_code="370000")
    found = credits_for(asset, submission, org, copyright_notice="")  # type: ignore[arg-type]
    assert found.date == date(2023, 5, 15)
    assert exif.beijing_day(datetime(2023, 5, 15, 16, 30, tzinfo=UTC)) == date(2023, 5, 16)


def test_an_iphone_video_keeps_its_local_capture_time(tmp_path: Path) -> None:
    from tests.media_samples import ffmpeg, video_bytes
    from workers.video_probe import probe_video

    source, tagged = tmp_path / "in.mov", tmp_path / "out.mov"
    source.write_bytes(video_bytes("mov"))
    ffmpeg("-i", str(source), "-c", "copy", "-movflags", "use_metadata_tags",
           "-metadata", "com.apple.quicktime.creationdate=2023-05-15T10:30:00+0800",
           "-metadata", "creation_time=2023-06-01T00:00:00Z", str(tagged))  # re-exported later: a different time
    probe = probe_video(tagged, "mov")
    assert probe.capture_time == datetime(2023, 5, 15, 2, 30, tzinfo=UTC)
    assert probe.info["capture_time_zone"] == "quicktime_offset"
