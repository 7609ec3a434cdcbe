"""What a delivered file may carry about the people and devices behind it.

By default a delivered image keeps nothing from the camera but its orientation (so it displays upright): no GPS, no
device or lens serials, no maker notes, no owner name, no thumbnail, no comments. Caption, credit and copyright are
written afterwards by :mod:`workers.delivery.jpeg_meta`. ``keep_location`` keeps the GPS block as well, for a release
where an editor decided the place may be shown.

* JPEG: the APP1 EXIF segment is rebuilt with only those tags; every other camera segment (APP3–APP12, APP15, COM,
  foreign APP1) is dropped. The compressed image data is copied byte for byte (lossless).
* PNG: ancillary chunks that can carry text or EXIF (eXIf, tEXt, zTXt, iTXt, tIME, unknown private chunks) are
  dropped; image and colour chunks are copied verbatim (lossless).
* TIFF, HEIC, AVIF, WebP and other still images: converted to a JPEG (quality 95, ICC profile kept) which is then
  tagged like any JPEG; the untouched original is never delivered.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

EXIF_HEADER = b"Exif\x00\x00"
ORIENTATION = 0x0112
GPS_IFD = 0x8825
# APP segments kept as they are: APP0 JFIF/JFXX, APP2 ICC profile / FlashPix, APP14 Adobe colour transform.
KEPT_APP = {0xE0, 0xE2, 0xEE}


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEPT = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs",
            b"bKGD", b"acTL", b"fcTL", b"fdAT"}


class NotAPng(ValueError):
    pass


def minimal_exif(payload: bytes, *, keep_location: bool) -> bytes | None:
    """The APP1 payload to deliver in place of the camera's EXIF ``payload``, or None for no EXIF at all."""
    source = Image.Exif()
    try:
        source.load(payload[len(EXIF_HEADER):] if payload.startswith(EXIF_HEADER) else payload)
        orientation = source.get(ORIENTATION)
        gps = dict(source.get_ifd(GPS_IFD)) if keep_location else {}
    except Exception:  # a broken EXIF block is simply not delivered  # noqa: BLE001
        return None
    kept = Image.Exif()
    if isinstance(orientation, int) and 1 <= orientation <= 8 and orientation != 1:
        kept[ORIENTATION] = orientation
    if gps:
        kept[GPS_IFD] = gps
    if not len(kept):
        return None
    data = kept.tobytes()
    return data if data.startswith(EXIF_HEADER) else EXIF_HEADER + data


def keep_app_segment(marker: int, payload: bytes, *, keep_location: bool) -> bytes | None:
    """The payload to keep for one JPEG APPn segment (possibly rewritten), or None to drop it."""
    if marker in KEPT_APP:
        return payload
    if marker == 0xE1 and payload.startswith(EXIF_HEADER):
        return minimal_exif(payload, keep_location=keep_location)
    return None


def strip_png(src: BinaryIO, dst: BinaryIO) -> None:
    """Copy a PNG without its text, time and EXIF chunks; image data byte for byte."""
    if src.read(8) != PNG_SIGNATURE:
        raise NotAPng("not a PNG (no signature)")
    dst.write(PNG_SIGNATURE)
    while True:
        head = src.read(8)
        if len(head) < 8:
            raise NotAPng("truncated PNG")
        length, kind = struct.unpack(">I4s", head)
        body = src.read(length + 4)  # data and CRC
        if len(body) != length + 4:
            raise NotAPng("truncated PNG")
        if kind in PNG_KEPT:
            dst.write(head + body)
        if kind == b"IEND":
            return


def to_jpeg(src: Path, dst: Path) -> None:
    """A JPEG of a still image in any format Pillow reads, upright, without EXIF (ICC profile kept)."""
    try:
        import pillow_heif  # noqa: PLC0415  (optional: registers HEIC/AVIF with Pillow)

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - installed with the project
        pass
    with Image.open(src) as image:
        icc = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("RGB", "L", "CMYK"):
            background = Image.new("RGB", upright.size, (255, 255, 255))
            rgba = upright.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            upright = background
        buffer = io.BytesIO()
        upright.save(buffer, "JPEG", quality=95, subsampling=0, **({"icc_profile": icc} if icc else {}))
    dst.write_bytes(buffer.getvalue())

