"""Type a file by its content (magic bytes), never by its name, and refuse inputs that are not media.

Refused here, before any decoder sees the file: empty files, text files (HLS playlists, ffconcat lists, anything
that points at URLs or local paths) and files that are also a ZIP archive (JPEG+ZIP polyglots).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from workers.rejections import Rejected

HEAD_BYTES = 4096
#: ISO-BMFF major/compatible brands that mean HEIF/HEIC/AVIF still images rather than a movie.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
                         b"avif", b"avis"})
#: Text markers of playlists and concat lists: such inputs make ffmpeg open other files or URLs.
PLAYLIST_MARKERS = (b"#EXTM3U", b"#EXT-X-", b"ffconcat", b"file '", b"file \"", b"file:", b"http://", b"https://",
                    b"rtmp://", b"concat:", b"subfile,", b"[playlist]", b"<?xml", b"<smil", b"<MPD")


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video
    container: str  # jpeg, png, gif, webp, tiff, heif, mp4, matroska, avi, mpeg
    ffmpeg_format: str | None  # demuxer to force for video inputs


def sniff(path: Path) -> Sniffed:
    """Return what the file is by content, or raise ``Rejected`` with the specific reason."""
    size = path.stat().st_size
    if size == 0:
        raise Rejected("empty_file", "文件为空（0 字节）", "the file is empty (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    found = _by_magic(head)
    if found is None:
        if _looks_like_text(head):
            _refuse_text(head)
        raise Rejected("unsupported_format", "无法识别的文件格式，请上传 JPEG/PNG/HEIC/WebP/TIFF 照片或 MP4/MOV 等视频",
                       "unrecognised file format; upload JPEG/PNG/HEIC/WebP/TIFF photos or MP4/MOV/WebM/MKV/AVI/MPEG "
                       "videos")
    if found.kind == "image" and zipfile.is_zipfile(path):
        raise Rejected("polyglot_file", "图片文件中夹带了 ZIP 压缩包数据，已拒收",
                       "the image also contains a ZIP archive (polyglot file) and was refused")
    return found


def _by_magic(head: bytes) -> Sniffed | None:
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg", None)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png", None)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif", None)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "webp", None)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "tiff", None)
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi", "avi")
    if head[4:8] == b"ftyp":
        box = int.from_bytes(head[:4], "big")
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(box, len(head)) - 3, 4)}
        if head[8:12] in HEIF_BRANDS or (brands & HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42", b"qt  "}):
            return Sniffed("image", "heif", None)
        return Sniffed("video", "mp4", "mov")
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return Sniffed("video", "mp4", "mov")  # QuickTime files without an ftyp box
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "matroska", "matroska")
    if head.startswith(b"\x00\x00\x01\xba"):
        return Sniffed("video", "mpeg", "mpeg")
    return None


def _looks_like_text(head: bytes) -> bool:
    sample = head.lstrip(b"\xef\xbb\xbf")[:1024]
    return bool(sample) and all(b in b"\t\n\r" or 32 <= b < 127 or b >= 128 for b in sample)


def _refuse_text(head: bytes) -> None:
    lowered = head.lower()
    if any(marker.lower() in lowered for marker in PLAYLIST_MARKERS) or b"/" in head:
        raise Rejected("playlist_refused", "播放列表或拼接清单文件（引用网址或本地路径）不是媒体文件，已拒收",
                       "playlists and concat lists (pointing at URLs or local paths) are not media files and are "
                       "refused")
    raise Rejected("not_media", "这是一个文本文件，不是照片或视频", "this is a text file, not a photo or video")
