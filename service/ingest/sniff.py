"""What a file really is, from its first bytes (magic numbers), never from its name.

Only the formats the pipeline can process are accepted; everything else gets a specific reason the submitter can
act on. Deeper checks (polyglots, truncated streams) are left to the workers' probing.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from service.db.asset import AssetKind

#: Bytes the sniffer looks at (MPEG-TS needs a few 188-byte packets, text detection a sample).
SNIFF_BYTES = 4096
#: Fewer bytes still allow a decision when a PATCH ends early (every signature fits, and two TS packets).
SNIFF_MIN_BYTES = 256

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_QUICKTIME_BRANDS = {b"qt  "}


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: AssetKind


@dataclass(frozen=True)
class Unsupported:
    """A format we refuse, with the reason shown to the submitter (zh-CN / English)."""

    code: str
    zh: str
    en: str


def sniff(head: bytes) -> Sniffed | Unsupported:
    """Classify a file by its first bytes (pass at least ``SNIFF_BYTES`` unless the file is shorter)."""
    if not head:
        return Unsupported("empty_file", "文件为空", "the file is empty")
    found = _image(head) or _video(head)
    if found is not None:
        return found
    return _refusal(head)


def _image(head: bytes) -> Sniffed | None:
    if head.startswith(b"\xff\xd8\xff"):
        # MPO (multi-picture, from stereo cameras) starts as a JPEG; the worker tells them apart by probing.
        return Sniffed("image/jpeg", AssetKind.image)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", AssetKind.image)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp", AssetKind.image)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image/tiff", AssetKind.image)
    if head[4:8] == b"ftyp":
        brands = _ftyp_brands(head)
        if brands & _HEIF_BRANDS:
            avif = bool(brands & {b"avif", b"avis"}) and not brands & {b"heic", b"heix"}
            return Sniffed("image/avif" if avif else "image/heic", AssetKind.image)
    return None


def _video(head: bytes) -> Sniffed | None:
    if head[4:8] == b"ftyp":
        brands = _ftyp_brands(head)
        return Sniffed("video/quicktime" if brands & _QUICKTIME_BRANDS else "video/mp4", AssetKind.video)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip") and len(head) >= 8:
        return Sniffed("video/quicktime", AssetKind.video)  # old QuickTime files without ftyp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        mime = "video/webm" if b"webm" in head[:64] else "video/x-matroska"
        return Sniffed(mime, AssetKind.video)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video/x-msvideo", AssetKind.video)
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed("video/mpeg", AssetKind.video)
    if _is_mpeg_ts(head):
        return Sniffed("video/mp2t", AssetKind.video)
    return None


def _ftyp_brands(head: bytes) -> set[bytes]:
    size = int.from_bytes(head[0:4], "big")
    end = min(len(head), size if 16 <= size <= 256 else 64)
    brands = {head[8:12]}
    brands.update(head[i:i + 4] for i in range(16, end - 3, 4))
    return brands


def _is_mpeg_ts(head: bytes) -> bool:
    # 188-byte packets each starting with the sync byte 0x47; M2TS (Blu-ray, AVCHD) adds a 4-byte prefix.
    for start, stride in ((0, 188), (4, 192)):
        packets = [head[i] for i in range(start, min(len(head), start + 3 * stride), stride)]
        if len(packets) >= 2 and all(b == 0x47 for b in packets):
            return True
    return False


def _refusal(head: bytes) -> Unsupported:
    if head.startswith(b"GIF8"):
        return Unsupported("unsupported_type", "不接受 GIF 动图或 GIF 图片，请上传原始照片或视频",
                           "GIF files are not accepted; upload the original photo or video")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return Unsupported("unsupported_type", "压缩包不能作为素材上传，请解压后逐个上传照片或视频",
                           "archives (ZIP, RAR, 7z, gzip) are not accepted; unpack and upload the photos or videos")
    if head.startswith(b"%PDF"):
        return Unsupported("unsupported_type", "不接受 PDF 文档，请上传照片或视频",
                           "PDF documents are not accepted; upload photos or videos")
    if head.startswith((b"\xd0\xcf\x11\xe0", b"{\\rtf")):
        return Unsupported("unsupported_type", "不接受 Office 文档，请上传照片或视频",
                           "office documents are not accepted; upload photos or videos")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" or head.startswith((b"ID3", b"fLaC", b"OggS")):
        return Unsupported("unsupported_type", "不接受纯音频文件，请上传照片或视频",
                           "audio-only files are not accepted; upload photos or videos")
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<svg")):
        return Unsupported("unsupported_type", "不接受网页、XML 或 SVG 文件，请上传照片或视频",
                           "HTML, XML and SVG files are not accepted; upload photos or videos")
    if _looks_like_text(head):
        return Unsupported("unsupported_type", "这是一个文本文件，不是照片或视频",
                           "this is a text file, not a photo or video")
    return Unsupported("unsupported_type",
                       "无法识别的文件格式；支持 JPEG、PNG、HEIC/HEIF/AVIF、WebP、TIFF 照片及 "
                       "MP4、MOV、WebM、MKV、AVI、MPEG-PS/TS 视频",
                       "unrecognised file format; accepted: JPEG, PNG, HEIC/HEIF/AVIF, WebP, TIFF photos and MP4, "
                       "MOV, WebM, MKV, AVI, MPEG-PS/TS videos")


def _looks_like_text(head: bytes) -> bool:
    sample = head[:1024]
    try:  # an incremental decoder tolerates a character cut at the end of the sample
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in (0x09, 0x0A, 0x0D) for b in sample)
