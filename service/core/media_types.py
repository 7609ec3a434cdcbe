"""Media facts: which files we accept, what they are, and the limits on them. The one owner of file types.

``sniff(head)`` types a file by its first bytes (magic numbers), never by its name. The upload API (to refuse early,
with a 415 the submitter can act on), ``verify`` and the workers' ``probe`` all call it, so a file the API accepts is
a file the workers process, and one both refuse gets the same reason. Deeper checks that need the whole file
(polyglots, playlists, truncation, decoding) stay with the workers' probing.

Dependency-free on purpose (standard library only): the API and the workers import it without Pillow or PyAV.

Decisions (docs/PIPELINE.md "Accepted file types"):

* MPEG-TS / M2TS (``.ts``, ``.mts``, ``.m2ts`` from AVCHD camcorders) is accepted: ffmpeg's ``mpegts`` demuxer reads
  both packet sizes.
* Documents (PDF, DOCX, ODT, plain text) are a report's attachments, typed here too (``DOCUMENT_TYPES``,
  ``sniff_document``): the media sniffer refuses them with "upload it as a report document", the documents' upload
  and worker accept them. The whole-file checks (zip directory, macros, PDF actions) are the document worker's.
* GIF is refused everywhere: it holds at most 256 colours, so it is never the original photo, and an animated GIF
  is not a video the desk can publish. Refused before any decoder opens it (a GIF header can claim 65535×65535).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

#: Bytes the sniffer looks at (MPEG-TS needs a few 188-byte packets, text detection a sample).
SNIFF_BYTES = 4096
#: Fewer bytes still allow a decision when a PATCH ends early (every signature fits, and two TS packets).
SNIFF_MIN_BYTES = 256

#: Largest photo we decode, in pixels. Above every camera we expect: a 200 MP phone photo is 16320×12240
#: (199.8 MP) or 16384×12288 (201.3 MP); a 20000×20000 decompression bomb (400 MP) is refused. Pillow's
#: ``Image.MAX_IMAGE_PIXELS`` and the probe's own check are both set from this one number.
MAX_IMAGE_PIXELS = 240_000_000

IMAGE, VIDEO, DOCUMENT = "image", "video", "document"


@dataclass(frozen=True)
class MediaType:
    """One accepted file type."""

    code: str  # stable short name, recorded as the probe's ``container``
    kind: str  # image | video (the values of ``service.db.asset.AssetKind``) | document (a report's attachment)
    mime: str
    extensions: tuple[str, ...]  # what such files are usually called (shown to submitters, never trusted)
    label: str  # how the submitter knows it
    demuxer: str | None = None  # ffmpeg demuxer forced for videos
    pillow_formats: frozenset[str] = frozenset()  # Pillow format names a photo of this type opens as


TYPES: tuple[MediaType, ...] = (
    MediaType("jpeg", IMAGE, "image/jpeg", ("jpg", "jpeg"), "JPEG", pillow_formats=frozenset({"JPEG", "MPO"})),
    MediaType("png", IMAGE, "image/png", ("png",), "PNG", pillow_formats=frozenset({"PNG"})),
    MediaType("heic", IMAGE, "image/heic", ("heic", "heif"), "HEIC/HEIF", pillow_formats=frozenset({"HEIF"})),
    MediaType("avif", IMAGE, "image/avif", ("avif",), "AVIF", pillow_formats=frozenset({"AVIF", "HEIF"})),
    MediaType("webp", IMAGE, "image/webp", ("webp",), "WebP", pillow_formats=frozenset({"WEBP"})),
    MediaType("tiff", IMAGE, "image/tiff", ("tif", "tiff"), "TIFF", pillow_formats=frozenset({"TIFF"})),
    MediaType("mp4", VIDEO, "video/mp4", ("mp4", "m4v"), "MP4", demuxer="mov"),
    MediaType("quicktime", VIDEO, "video/quicktime", ("mov",), "MOV", demuxer="mov"),
    MediaType("webm", VIDEO, "video/webm", ("webm",), "WebM", demuxer="matroska"),
    MediaType("matroska", VIDEO, "video/x-matroska", ("mkv",), "MKV", demuxer="matroska"),
    MediaType("avi", VIDEO, "video/x-msvideo", ("avi",), "AVI", demuxer="avi"),
    MediaType("mpeg-ps", VIDEO, "video/mpeg", ("mpg", "mpeg", "vob"), "MPEG-PS", demuxer="mpeg"),
    MediaType("mpeg-ts", VIDEO, "video/mp2t", ("ts", "mts", "m2ts"), "MPEG-TS/MTS", demuxer="mpegts"),
)
BY_CODE: dict[str, MediaType] = {t.code: t for t in TYPES}
BY_MIME: dict[str, MediaType] = {t.mime: t for t in TYPES}
#: A report's documents (``service.db.reporting.DocumentType`` has the same codes). A DOCX and an ODT are both ZIP
#: packages: the first bytes tell an ODT (its uncompressed ``mimetype`` member comes first), the document worker
#: confirms either from the ZIP directory.
DOCUMENT_TYPES: tuple[MediaType, ...] = (
    MediaType("pdf", DOCUMENT, "application/pdf", ("pdf",), "PDF"),
    MediaType("docx", DOCUMENT, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
              "Word (DOCX)"),
    MediaType("odt", DOCUMENT, "application/vnd.oasis.opendocument.text", ("odt",), "ODT"),
    MediaType("txt", DOCUMENT, "text/plain; charset=utf-8", ("txt",), "TXT"),
)
DOCUMENT_BY_CODE: dict[str, MediaType] = {t.code: t for t in DOCUMENT_TYPES}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: Encodings a plain-text document may use (UTF-8 with or without a BOM; GB18030, a superset of GBK and GB2312).
TEXT_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
#: ffmpeg demuxers an input may be forced to (everything else, e.g. hls, concat, image2, lavfi, is refused).
DEMUXERS: frozenset[str] = frozenset(t.demuxer for t in TYPES if t.demuxer)
#: Pillow format names of accepted photos.
PILLOW_FORMATS: frozenset[str] = frozenset(f for t in TYPES for f in t.pillow_formats)


@dataclass(frozen=True)
class Refusal:
    """A file we refuse, with the reason shown to the submitter (zh-CN / English).

    ``why``: ``empty`` | ``text`` (the workers look closer: playlists are refused with their own reason) |
    ``unsupported``. Each surface maps it to its stable code (API problem ``unsupported_type``, asset reason
    ``unsupported_format`` …).
    """

    why: str
    zh: str
    en: str


def accepted_summary(lang: str = "zh") -> str:
    photos = "、".join(t.label for t in TYPES if t.kind == IMAGE)
    videos = "、".join(t.label for t in TYPES if t.kind == VIDEO)
    if lang == "en":
        return f"{photos.replace('、', ', ')} photos and {videos.replace('、', ', ')} videos"
    return f"{photos} 照片及 {videos} 视频"


_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
                          b"avif", b"avis"})
_MOVIE_BRANDS = frozenset({b"isom", b"iso2", b"mp41", b"mp42", b"qt  ", b"avc1", b"M4V "})


def sniff(head: bytes) -> MediaType | Refusal:
    """Classify a file by its first bytes (pass at least ``SNIFF_BYTES`` unless the file is shorter)."""
    if not head:
        return Refusal("empty", "文件为空（0 字节）", "the file is empty (0 bytes)")
    return _by_magic(head) or _refusal(head)


def _by_magic(head: bytes) -> MediaType | None:
    if head.startswith(b"\xff\xd8\xff"):
        # MPO (multi-picture, from stereo cameras) starts as a JPEG; the probe tells them apart.
        return BY_CODE["jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return BY_CODE["png"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return BY_CODE["webp"]
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return BY_CODE["tiff"]
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return BY_CODE["avi"]
    if head[4:8] == b"ftyp":
        return _iso_bmff(head)
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"):
        return BY_CODE["quicktime"]  # old QuickTime files without an ftyp box
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return BY_CODE["webm" if b"webm" in head[:64] else "matroska"]
    if head.startswith(b"\x00\x00\x01\xba"):
        return BY_CODE["mpeg-ps"]
    if _is_mpeg_ts(head):
        return BY_CODE["mpeg-ts"]
    return None


def _iso_bmff(head: bytes) -> MediaType:
    major = head[8:12]
    size = int.from_bytes(head[0:4], "big")
    end = min(len(head), size if 16 <= size <= 256 else 64)
    brands = {major} | {head[i:i + 4] for i in range(16, end - 3, 4)}
    # The major brand decides; compatible brands only when nothing says "movie" (an MP4 may list mif1).
    if major in _HEIF_BRANDS or (brands & _HEIF_BRANDS and not brands & _MOVIE_BRANDS):
        avif = bool(brands & {b"avif", b"avis"}) and not brands & {b"heic", b"heix"}
        return BY_CODE["avif" if avif else "heic"]
    return BY_CODE["quicktime" if major == b"qt  " else "mp4"]


def _is_mpeg_ts(head: bytes) -> bool:
    # 188-byte packets each starting with the sync byte 0x47; M2TS (AVCHD .mts, Blu-ray) adds a 4-byte prefix.
    for start, stride in ((0, 188), (4, 192)):
        packets = [head[i] for i in range(start, min(len(head), start + 3 * stride), stride)]
        if len(packets) >= 2 and all(b == 0x47 for b in packets):
            return True
    return False


def _refusal(head: bytes) -> Refusal:
    if head.startswith(b"GIF8"):
        return Refusal("unsupported", "不接受 GIF 图片或动图（最多 256 色，不是原始照片），请上传原始照片或视频",
                       "GIF files are not accepted (at most 256 colours, never the original photo); upload the "
                       "original photo or video")
    document = _document_label(head)
    if document is not None:  # a document is not a photo: say where it belongs
        return Refusal("unsupported", f"这是 {document} 文档，不是照片或视频；请在报送材料中作为文档上传",
                       f"this is a {document} document, not a photo or video; upload it as a report document")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return Refusal("unsupported", "压缩包不能作为素材上传，请解压后逐个上传照片或视频",
                       "archives (ZIP, RAR, 7z, gzip) are not accepted; unpack and upload the photos or videos")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE" or head.startswith((b"ID3", b"fLaC", b"OggS")):
        return Refusal("unsupported", "不接受纯音频文件，请上传照片或视频",
                       "audio-only files are not accepted; upload photos or videos")
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<svg")):
        return Refusal("unsupported", "不接受网页或 SVG 文件，请上传照片或视频",
                       "HTML and SVG files are not accepted; upload photos or videos")
    if looks_like_text(head):
        return Refusal("text", "这是一个文本文件，不是照片或视频", "this is a text file, not a photo or video")
    return Refusal("unsupported", f"无法识别的文件格式；支持 {accepted_summary('zh')}",
                   f"unrecognised file format; accepted: {accepted_summary('en')}")


def _document_label(head: bytes) -> str | None:
    """The kind of office document the first bytes show (for the media sniffer's refusal), or None."""
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "Office"
    if head.startswith(b"{\\rtf"):
        return "RTF"
    if head.startswith(b"PK\x03\x04") and any(marker in head for marker in (
            b"[Content_Types].xml", b"word/", b"mimetypeapplication/vnd.oasis.opendocument")):
        return "ODF" if b"opendocument" in head else "Word"
    return None


def sniff_document(head: bytes) -> MediaType | Refusal:
    """Classify a report document by its first bytes (``SNIFF_BYTES``). ``Refusal.why``: ``empty`` | ``media`` (a
    photo or video: upload it as media) | ``legacy_office`` (OLE: an old .doc or an encrypted Office file, which
    nothing here can inspect) | ``unsupported``. A ZIP is a DOCX or ODT candidate the worker confirms."""
    if not head:
        return Refusal("empty", "文件为空（0 字节）", "the file is empty (0 bytes)")
    if head.startswith(b"%PDF-"):
        return DOCUMENT_BY_CODE["pdf"]
    if head.startswith(b"PK\x03\x04"):
        odt = head[30:38] == b"mimetype" and head[38:38 + len(ODT_MIMETYPE)] == ODT_MIMETYPE
        return DOCUMENT_BY_CODE["odt" if odt else "docx"]
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Refusal("legacy_office",
                       "旧版 Word 文档（.doc）或加密的 Office 文档无法检查，请另存为不加密的 DOCX 或 PDF",
                       "old Word (.doc) or encrypted Office files cannot be inspected; save it as an unencrypted "
                       "DOCX or PDF")
    if _by_magic(head) is not None:
        return Refusal("media", "这是照片或视频，不是文档；请作为素材上传",
                       "this is a photo or video, not a document; upload it as media")
    if text_encoding(head) is not None and not head.lstrip().lower().startswith((b"<!doctype html", b"<html", b"<svg")):
        return DOCUMENT_BY_CODE["txt"]
    return Refusal("unsupported", f"无法识别的文档格式；支持 {document_summary('zh')}",
                   f"unrecognised document format; accepted: {document_summary('en')}")


def document_summary(lang: str = "zh") -> str:
    labels = [t.label for t in DOCUMENT_TYPES]
    return ", ".join(labels) if lang == "en" else "、".join(labels)


def text_encoding(data: bytes, *, final: bool = False) -> str | None:
    """The encoding of ``TEXT_ENCODINGS`` that decodes ``data`` as text (no control characters but tab, line and page
    breaks), or None for binary. ``final=False`` tolerates a character cut at the end of a sample."""
    for encoding in TEXT_ENCODINGS:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=final)
        except UnicodeDecodeError:
            continue
        return encoding if text and all(ch >= " " or ch in "\t\n\r\f" for ch in text) else None
    return None


def looks_like_text(head: bytes) -> bool:
    """UTF-8 (with or without a BOM) and no control characters other than tab and line breaks."""
    sample = head.removeprefix(b"\xef\xbb\xbf")[:1024]
    if not sample:
        return False
    try:  # an incremental decoder tolerates a character cut at the end of the sample
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return all(b >= 0x20 or b in (0x09, 0x0A, 0x0D) for b in sample)
