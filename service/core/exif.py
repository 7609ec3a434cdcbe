"""The one EXIF reader: capture time (time-zone aware), GPS position and camera, from a photo's EXIF.

Works on anything shaped like Pillow's ``Image.Exif`` (a mapping of tag → value with ``get_ifd``), so this module
stays dependency-free; the workers' ``probe`` reads EXIF once through it and stores what it found on the asset
(``capture_time``, ``gps_lat``/``gps_lon``, ``probe``). Later steps read those columns, never the original again.

Rules (docs/PIPELINE.md "Capture time and place"):

* Capture time is ``DateTimeOriginal`` only. ``DateTime`` (IFD0) is when the file was last changed and
  ``DateTimeDigitized`` is a scan's time: neither is a capture time, and there is no file-time fallback.
* Its zone is ``OffsetTimeOriginal`` when present (``zone: "exif"``). Without it the photo is assumed to be taken in
  China, Beijing time UTC+8 (``zone: "assumed_utc+8"``), which the probe records next to the time.
* Only dates from ``EARLIEST`` to before ``LATEST`` are kept (a camera clock at 0000 or 9999 is not a capture time,
  and 9999-12-31 at -05:00 would overflow every timestamp type once converted to UTC); others are unknown.
* GPS needs latitude and longitude in range; exactly (0, 0) is a receiver without a fix, not the Gulf of Guinea.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from service.core.text import clean_text

#: Beijing time, assumed when a photo's EXIF carries no offset (the Activity Week happens in China).
ASSUMED_ZONE = timezone(timedelta(hours=8))
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL = 0x010F, 0x0110
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


#: Pillow's ``Image.Exif`` (a mapping of IFD0 tags whose ``get_ifd(tag)`` opens the Exif and GPS IFDs).
ExifLike = Mapping[int, Any]


@dataclass(frozen=True)
class CaptureTime:
    moment: datetime  # always aware
    zone: str  # exif | assumed_utc+8


@dataclass(frozen=True)
class ExifFacts:
    capture: CaptureTime | None
    gps: tuple[float, float] | None
    camera_make: str | None
    camera_model: str | None
    refused_time: str | None = None  # a DateTimeOriginal outside the bounds, kept for the record


def read(exif: ExifLike) -> ExifFacts:
    """Every fact we take from EXIF; never raises on malformed values (they are unknown instead)."""
    ifd = _ifd(exif, EXIF_IFD)
    raw_time = text(ifd.get(DATE_TIME_ORIGINAL))
    capture = capture_time(raw_time, text(ifd.get(OFFSET_TIME_ORIGINAL)))
    return ExifFacts(capture, gps(_ifd(exif, GPS_IFD)), text(exif.get(MAKE)), text(exif.get(MODEL)),
                     refused_time=raw_time if raw_time and capture is None else None)


def capture_time(value: str | None, offset: str | None) -> CaptureTime | None:
    """``YYYY:MM:DD HH:MM:SS`` (+ ``±HH:MM``) as an aware time, or None when absent, malformed or out of bounds."""
    if not value:
        return None
    try:
        naive = datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST.year <= naive.year < LATEST.year:  # checked before any zone arithmetic can overflow
        return None
    zone, source = ASSUMED_ZONE, "assumed_utc+8"
    if offset:
        with contextlib.suppress(ValueError):  # a malformed offset counts as none
            parsed = datetime.strptime(offset.strip(), "%z").utcoffset()
            if parsed is not None and abs(parsed) <= timedelta(hours=14):
                zone, source = timezone(parsed), "exif"
    found = bounded(naive.replace(tzinfo=zone))
    return CaptureTime(found, source) if found else None


def bounded(moment: datetime) -> datetime | None:
    """``moment`` when it lies in [EARLIEST, LATEST) (naive counts as UTC); else None. Used for video times too."""
    if not EARLIEST.year - 1 <= moment.year <= LATEST.year:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware if EARLIEST <= aware < LATEST else None


def beijing_day(moment: datetime) -> date:
    """The calendar day of a capture time in Beijing time (the week's days, delivered dates); naive counts as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ASSUMED_ZONE).date()


def gps(ifd: Mapping[int, Any]) -> tuple[float, float] | None:
    try:
        lat = _degrees(ifd[GPS_LAT], ifd.get(GPS_LAT_REF, "N"), "S")
        lon = _degrees(ifd[GPS_LON], ifd.get(GPS_LON_REF, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0.0, 0.0):
        return None
    return round(lat, 7), round(lon, 7)


def text(value: object) -> str | None:
    if value is None:
        return None
    found = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return clean_text(found, multiline=False) or None  # no NUL or escape sequences reach IPTC, XMP or CSV


def _ifd(exif: ExifLike, tag: int) -> Mapping[int, Any]:
    try:
        get_ifd = getattr(exif, "get_ifd", None)
        found = get_ifd(tag) if get_ifd is not None else exif.get(tag)
        return found if isinstance(found, Mapping) else {}
    except (KeyError, TypeError, ValueError, OSError, SyntaxError):  # a broken IFD pointer: no facts from it
        return {}


def _degrees(parts: Any, ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if text(ref) == negative else value
