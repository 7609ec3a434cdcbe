"""What a photo is: format, display size, orientation, colour profile, capture time, camera and GPS (from EXIF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, ImageCms

from service.core import exif as exif_facts
from service.core.media_types import TYPES, accepted_summary
from workers.imaging import ACCEPTED_FORMATS, corrupt, decode, open_image
from workers.rejections import Rejected

#: MIME of each accepted Pillow format, from the one table of file types.
MIME = {fmt: t.mime for t in reversed(TYPES) for fmt in t.pillow_formats}
#: Formats Pillow / pillow-heif hand over already rotated: HEIF/AVIF (pillow-heif) and TIFF (Pillow ≥ 13 reports the
#: display size at open and transposes on load).
PRE_ORIENTED = frozenset({"HEIF", "AVIF", "TIFF"})
#: Formats in ISO BMFF boxes (pillow-heif): their truncation is read from the boxes (``_boxes_complete``), not decoded.
ISO_BOXED = frozenset({"HEIF", "AVIF"})
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
            raise Rejected("unsupported_format", f"不支持的图片格式 {fmt}；支持 {accepted_summary('zh')}",
                           f"unsupported image format {fmt}; accepted: {accepted_summary('en')}")
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
        boxed = fmt in ISO_BOXED and _boxes_complete(path)
        if not boxed:
            decode(image, target=PROBE_DECODE)
    if frames > 1 and (fmt == "MPO" or fmt in ISO_BOXED and not boxed):
        _decode_other_frames(path, frames)
    width, height = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
    facts = exif_facts.read(exif)
    info: dict[str, Any] = {
        "format": fmt, "mode": mode, "frames": frames, "stored_width": raw_w, "stored_height": raw_h,
        "orientation": orientation, "colour_profile": _profile_name(icc) if icc else None,
        "camera_make": facts.camera_make, "camera_model": facts.camera_model,
    }
    capture = facts.capture.moment if facts.capture else None
    if facts.capture:
        info["capture_time"] = facts.capture.moment.isoformat()
        info["capture_time_zone"] = facts.capture.zone
    if facts.refused_time:
        info["capture_time_refused"] = facts.refused_time
    if facts.gps:
        info["gps"] = {"lat": facts.gps[0], "lon": facts.gps[1]}
    return ImageProbe(fmt, MIME.get(fmt, "application/octet-stream"), width, height, orientation, info,
                      capture, facts.gps)


def _boxes_complete(path: Path) -> bool:
    """A HEIF/AVIF file's truncation check without decoding it (no reduced-scale HEVC decode exists: a 12 MP HEIC
    costs ≈ 0.4 s whole). Every top-level ISO BMFF box must end within the file: a cut upload ends inside the last
    one (``mdat``, where every image's data lies, or ``meta``, which libheif already parsed at open). Raises
    ``corrupt`` when a box runs past the end before both are whole; False when it cannot tell (a box "to the end of
    the file"), so the caller decodes as before. Damaged data inside whole boxes is left to ``derive``'s decode, as
    it was before: libde265 conceals bit-rot in HEVC data, so the old full decode did not refuse it either."""
    size = path.stat().st_size
    seen: set[bytes] = set()  # box types read whole
    with path.open("rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1 and len(header) == 16:  # 64-bit size
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # extends to the end of the file: nothing to compare with
                return False
            if length < 8 or offset + length > size:
                if {b"meta", b"mdat"} <= seen:
                    break  # the image is whole: what follows is a trailer some writers append, not a box
                raise corrupt(EOFError(f"{kind.decode('latin-1')!r} box runs past the end of the file"))
            seen.add(kind)
            offset += length
    return {b"meta", b"mdat"} <= seen


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


def _profile_name(icc: bytes) -> str:
    import io

    try:
        return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() or "embedded"
    except (OSError, ImageCms.PyCMSError):
        return "invalid"
