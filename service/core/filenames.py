"""Client filenames made safe for storage keys and downloads (``Content-Disposition``); the original is kept
separately for display. Lives in ``service.core`` because storage (downloads) and ingest (keys) both need it."""

from __future__ import annotations

import unicodedata

MAX_NAME_BYTES = 200
_RESERVED = set('<>:"/\\|?*%#{}^~[]`')
FALLBACK = "file"
_LINE_BREAKS = ("Zl", "Zp")  # U+2028/U+2029 end a line in CSV readers, logs and JavaScript strings


def sanitize_filename(name: str) -> str:
    """A single path component: no directories, control or reserved characters, ≤ 200 UTF-8 bytes, never empty.

    Chinese and other printable characters are kept: the name is what editors and outlets see.
    """
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # Windows and POSIX paths alike: keep the last part
    cleaned = "".join(
        "_" if ch in _RESERVED else " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C"  # control, format (bidi overrides), unassigned, surrogates
    )
    cleaned = " ".join(cleaned.split()).strip(" .")  # leading dots would hide the file; '..' disappears
    if not cleaned:
        return FALLBACK
    return _truncate(cleaned)


def _truncate(name: str) -> str:
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, ext = name, ""
    budget = MAX_NAME_BYTES - len(ext.encode()) - (1 if ext else 0)
    encoded = stem.encode()[:budget].decode("utf-8", errors="ignore").rstrip(" .")
    return f"{encoded or FALLBACK}.{ext}" if ext else encoded or FALLBACK


def display_filename(name: str, limit: int = 1024) -> str:
    """The client's name as shown to people: only invisible and control characters (NUL, ESC, bidi overrides)
    are removed, because they break storage, terminals and CSV exports or disguise an extension."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFC", name)
                      if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in _LINE_BREAKS)
    return cleaned.strip()[:limit] or FALLBACK
