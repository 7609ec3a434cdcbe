"""What a photo is: format, display size, orientation, colour profile, capture time, camera and GPS (from EXIF)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PIL import ExifTags, ImageCms

from service.core.bounds import bounded_or_none
from service.core.text import clean_text
from workers.imaging import ACCEPTED_FORMATS, corrupt, decode, open_image
from workers.rejections import Rejected

#: EXIF DateTimeOriginal without OffsetTimeOriginal: the Activity Week happens in China, so we assume UTC+8.
DEFAULT_TZ = timezone(timedelta(hours=8))
MIME = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
        "HEIF": "image/heic", "AVIF": "image/avif"}
#: Formats Pillow / pillow-heif hand over already rotated: HEIF/AVIF (pillow-heif) and TIFF (Pillow ≥ 13 reports the
#: display size at open and transposes on load).
PRE_ORIENTED = frozenset({"HEIF", "AVIF", "TIFF"})
#: Probe decodes at 1/8 JPEG scale: enough to find a truncated or corrupt entropy stream, ~20× cheaper than full.
PROBE_DECODE = (64, 64)


@dataclass
class ImageProbe:
    format: str
    mime: str
    width: int  # display orientation (after EXIF rotation)
    height: int
    orientation: int
    info: dict[str, Any] = field(default_factory=dict)
    capture_time: datetime | None = None
    gps: tuple[float, float] | None = None


def probe_image(path: Path) -> ImageProbe:
    with open_image(path) as image:
        fmt = image.format or "unknown"
        if fmt not in ACCEPTED_FORMATS:
            raise Rejected("unsupported_format", f"不支持的图片格式 {fmt}，请上传 JPEG/PNG/HEIC/WebP/TIFF",
                           f"unsupported image format {fmt}; upload JPEG, PNG, HEIC, WebP or TIFF")
        try:
            exif = image.getexif()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            # A PNG reads its text chunks here: a zTXt "bomb" over Pillow's MAX_TEXT_CHUNK raises ValueError.
            raise corrupt(exc) from exc
        orientation = int(exif.get(ExifTags.Base.Orientation, 1) or 1)
        raw_w, raw_h = image.size
        if fmt in PRE_ORIENTED:  # size (and, once loaded, pixels) already in display orientation
            if fmt == "TIFF" and orientation in (5, 6, 7, 8):
                raw_w, raw_h = raw_h, raw_w
            elif fmt != "TIFF":
                orientation = 1
        frames = getattr(image, "n_frames", 1)
        icc = image.info.get("icc_profile")
        mode = image.mode
        decode(image, target=PROBE_DECODE)
    if fmt in ("HEIF", "AVIF", "MPO") and frames > 1:
        _decode_other_frames(path, frames)
    width, height = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    info: dict[str, Any] = {
        "format": fmt, "mode": mode, "frames": frames, "stored_width": raw_w, "stored_height": raw_h,
        "orientation": orientation, "colour_profile": _profile_name(icc) if icc else None,
        "camera_make": _text(exif.get(ExifTags.Base.Make)), "camera_model": _text(exif.get(ExifTags.Base.Model)),
    }
    capture = _capture_time(exif_ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime),
                            exif_ifd.get(ExifTags.Base.OffsetTimeOriginal))
    gps = _gps(exif.get_ifd(ExifTags.IFD.GPSInfo))
    if capture:
        info["capture_time"] = capture.isoformat()
    if gps:
        info["gps"] = {"lat": gps[0], "lon": gps[1]}
    return ImageProbe(fmt, MIME.get(fmt, "application/octet-stream"), width, height, orientation, info,
                      capture, gps)


def _decode_other_frames(path: Path, frames: int) -> None:
    """A truncated HEIC or MPO can keep a decodable first image while the rest points past the end of the file.

    Checked on a fresh handle: after ``draft()`` on frame 0, Pillow's MPO reader misreads the next frame.
    """
    with open_image(path) as image:
        for index in range(1, min(frames, 8)):
            try:
                image.seek(index)
            except (OSError, EOFError, ValueError) as exc:
                raise corrupt(exc) from exc
            decode(image, target=PROBE_DECODE if image.format != "MPO" else None)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return clean_text(text, multiline=False) or None


def _profile_name(icc: bytes) -> str:
    import io

    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or "embedded"
    except (OSError, ImageCms.PyCMSError):
        return "invalid"


def _capture_time(value: object, offset: object) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    tz = DEFAULT_TZ
    offset_text = _text(offset)
    if offset_text:
        with contextlib.suppress(ValueError):  # a malformed offset: keep the default zone
            tz = datetime.strptime(offset_text, "%z").tzinfo or DEFAULT_TZ  # type: ignore[assignment]
    return bounded_or_none(moment.replace(tzinfo=tz))  # year 9999 at -12:00 is past datetime's range in UTC


def _gps(ifd: dict[int, Any]) -> tuple[float, float] | None:
    try:
        lat = _degrees(ifd[ExifTags.GPS.GPSLatitude], ifd.get(ExifTags.GPS.GPSLatitudeRef, "N"), "S")
        lon = _degrees(ifd[ExifTags.GPS.GPSLongitude], ifd.get(ExifTags.GPS.GPSLongitudeRef, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 7), round(lon, 7)


def _degrees(parts: Any, ref: object, negative: str) -> float:
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if _text(ref) == negative else value


