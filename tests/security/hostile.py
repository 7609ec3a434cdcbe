"""The hostile media corpus, generated in code: bombs, polyglots, truncations and ffmpeg SSRF attempts; and the
hostile report documents (``documents``: encrypted and scripted PDFs, zip bombs, XML entities, macros, traversal),
each with the reject code it must get (built in ``tests.documents_samples``).

Every network reference points at a ``Sentinel``: a loopback listener that records any connection, so a test can
prove that no worker ever followed one (and a proxy variable pointing at a second sentinel catches proxied fetches).
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass, field

from tests.documents_samples import HostileDocument, hostile_documents
from tests.load.media import photo, video

__all__ = ["Hostile", "HostileDocument", "Sentinel", "corpus", "documents"]


@dataclass(frozen=True)
class Hostile:
    name: str  # the file name as uploaded (often lying about the type)
    data: bytes
    why: str  # what the file tries to do
    may_be_accepted: bool = False  # valid media under a lying name: typing by content may accept it


@dataclass
class Sentinel:
    """A loopback TCP listener that records every connection it accepts (and answers nothing useful)."""

    host: str = "127.0.0.1"
    port: int = 0
    connections: list[tuple[str, int]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # the first line each connection sent (what it wanted)
    _sock: socket.socket | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Sentinel:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while True:
            try:
                conn, peer = self._sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            with contextlib.suppress(OSError):
                conn.settimeout(1)
                self.requests.append(conn.recv(400).split(b"\r\n")[0].decode(errors="replace"))
            with contextlib.suppress(OSError):
                conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._sock is not None:
            self._sock.close()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A 1-bit PNG of 400 megapixels that compresses to ~50 kB: decoding it would need gigabytes."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def png_text_bomb(megabytes: int = 200) -> bytes:
    """A small valid PNG carrying a zTXt chunk that inflates to ``megabytes`` MB."""
    base = photo(32, 32, 1, "PNG")
    compressor = zlib.compressobj(9)
    block = b"A" * (1024 * 1024)
    text = b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()
    chunk = _png_chunk(b"zTXt", b"Comment\x00\x00" + text)
    return base[:-12] + chunk + base[-12:]


def jpeg_huge_dimensions() -> bytes:
    """A tiny JPEG whose frame header claims 65000 × 65000 pixels."""
    data = bytearray(photo(64, 48, 2))
    index = data.find(b"\xff\xc0")
    if index < 0:
        index = data.find(b"\xff\xc2")
    struct.pack_into(">HH", data, index + 5, 65000, 65000)
    return bytes(data)


def jpeg_zip_polyglot() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return photo(320, 240, 3) + out.getvalue()


def hls_playlist(sentinel: Sentinel) -> bytes:
    return (f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{sentinel.url}/segment0.ts\n#EXTINF:2.0,\n"
            f"file:///etc/passwd\n#EXT-X-ENDLIST\n").encode()


def concat_list(sentinel: Sentinel) -> bytes:
    return f"ffconcat version 1.0\nfile '{sentinel.url}/clip.mp4'\nfile '/etc/passwd'\n".encode()


def svg_with_reference(sentinel: Sentinel) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            f'<image xlink:href="{sentinel.url}/x.png" width="10" height="10"/></svg>').encode()


def corpus(sentinel: Sentinel) -> list[Hostile]:
    clip = video(1.0, 160, 120, seed=1)
    jpeg = photo(640, 480, 4)
    audio_only = _audio_only_mp4()
    return [
        Hostile("bomb-20000x20000.png", png_bomb(), "decompression bomb (1-bit PNG, 400 MP)"),
        Hostile("text-bomb.png", png_text_bomb(), "zTXt chunk inflating to 200 MB"),
        Hostile("huge-header.jpg", jpeg_huge_dimensions(), "JPEG frame header claims 65000×65000"),
        Hostile("polyglot.jpg", jpeg_zip_polyglot(), "JPEG with a ZIP (HTML payload) appended"),
        Hostile("truncated.jpg", jpeg[: len(jpeg) // 2], "JPEG cut in half"),
        Hostile("truncated-moov.mp4", clip[: len(clip) // 3], "MP4 cut after the moov box (faststart)"),
        Hostile("no-moov.mp4", clip[-len(clip) // 2:], "MP4 tail without ftyp/moov"),
        Hostile("video-named.jpg", clip, "an MP4 named .jpg", may_be_accepted=True),
        Hostile("audio-only.mp4", audio_only, "an MP4 with no video stream"),
        Hostile("archive.jpg", _zip_bytes(), "a ZIP archive named .jpg"),
        Hostile("playlist.mp4", hls_playlist(sentinel), "HLS playlist pointing at a URL and file:///etc/passwd"),
        Hostile("playlist.m3u8", hls_playlist(sentinel), "HLS playlist with its real extension"),
        Hostile("concat.mp4", concat_list(sentinel), "ffconcat list pointing at a URL and /etc/passwd"),
        Hostile("vector.jpg", svg_with_reference(sentinel), "SVG with an external image reference"),
        Hostile("garbage.mov", bytes(range(256)) * 64, "random bytes named .mov"),
        Hostile("empty.jpg", b"", "zero-byte file"),
    ]


def _zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x" * 1000)
    return out.getvalue()


def _audio_only_mp4() -> bytes:
    import subprocess
    import tempfile
    from pathlib import Path

    from tests.load.media import ffmpeg_exe

    with tempfile.TemporaryDirectory(prefix="md-hostile-") as tmp:
        out = Path(tmp) / "audio.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                        "-t", "1", "-c:a", "aac", "-y", str(out)], check=True, timeout=60, stdin=subprocess.DEVNULL)
        return out.read_bytes()


def documents(sentinel: Sentinel) -> list[HostileDocument]:
    """The hostile documents, plus a DOCX whose XML names the sentinel as an external entity (never fetched)."""
    from tests.documents_samples import docx_with_document_xml

    xxe = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{sentinel.url}/xxe">]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           "<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>")
    return [*hostile_documents(),
            HostileDocument("xxe-sentinel.docx", docx_with_document_xml(xxe), "document_xml_entities",
                            "an external entity pointing at the sentinel")]
