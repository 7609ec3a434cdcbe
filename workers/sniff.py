"""The workers' typing of a stored original: ``service.core.media_types.sniff`` (the same table and reasons as the
upload API) plus the checks that need the whole file, before any decoder sees it.

Refused here: empty files, text files (HLS playlists, ffconcat lists, anything that points at URLs or local paths get
their own reason) and photos that are also a ZIP archive (JPEG+ZIP polyglots).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from service.core.media_types import SNIFF_BYTES, MediaType, Refusal
from service.core.media_types import sniff as sniff_media
from workers.rejections import Rejected

HEAD_BYTES = SNIFF_BYTES
#: Text markers of playlists and concat lists: such inputs make ffmpeg open other files or URLs.
PLAYLIST_MARKERS = (b"#EXTM3U", b"#EXT-X-", b"ffconcat", b"file '", b"file \"", b"file:", b"http://", b"https://",
                    b"rtmp://", b"concat:", b"subfile,", b"[playlist]", b"<?xml", b"<smil", b"<MPD")


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video
    container: str  # the media type's code: jpeg, png, heic, …, mp4, quicktime, mpeg-ts
    ffmpeg_format: str | None  # demuxer to force for video inputs
    mime: str


def sniff(path: Path) -> Sniffed:
    """Return what the file is by content, or raise ``Rejected`` with the specific reason."""
    with path.open("rb") as fh:
        found = sniff_head(fh.read(HEAD_BYTES))
    if found.kind == "image" and zipfile.is_zipfile(path):
        raise Rejected("polyglot_file", "图片文件中夹带了 ZIP 压缩包数据，已拒收",
                       "the image also contains a ZIP archive (polyglot file) and was refused")
    return found


def sniff_head(head: bytes) -> Sniffed:
    """What the first bytes say (``verify`` streams the object and has only those), with the workers' reason codes."""
    found = sniff_media(head)
    if isinstance(found, Refusal):
        raise _rejection(found, head)
    return _sniffed(found)


def _sniffed(found: MediaType) -> Sniffed:
    return Sniffed(found.kind, found.code, found.demuxer, found.mime)


def _rejection(refusal: Refusal, head: bytes) -> Rejected:
    if refusal.why == "empty":
        return Rejected("empty_file", refusal.zh, refusal.en)
    if refusal.why == "text":
        lowered = head.lower()
        if any(marker.lower() in lowered for marker in PLAYLIST_MARKERS) or b"/" in head:
            return Rejected("playlist_refused", "播放列表或拼接清单文件（引用网址或本地路径）不是媒体文件，已拒收",
                            "playlists and concat lists (pointing at URLs or local paths) are not media files and "
                            "are refused")
        return Rejected("not_media", refusal.zh, refusal.en)
    return Rejected("unsupported_format", refusal.zh, refusal.en)
