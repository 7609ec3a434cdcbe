"""The one text-cleaning rule for every text a person or a file gives us (API JSON, web forms, query strings, EXIF and
file names shown to people), so that what is stored is what IPTC, XMP, CSV, logs and pages can carry safely.

Control, format and surrogate characters (NUL, escape sequences, bidi overrides, zero-width marks, lone surrogates)
are removed — except the zero-width joiner that emoji sequences need; U+2028/U+2029 become line breaks (or spaces on
one-line fields); the text is NFC-normalised and trimmed. Unassigned code points stay: they are tomorrow's emoji.
PostgreSQL refuses NUL in text outright, so nothing may reach it with one.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_LINE_SEPARATORS = {"\u2028", "\u2029", "\r\n", "\r", "\x85"}
_REMOVED = ("Cc", "Cf", "Cs")
_KEPT = "\u200d"  # zero-width joiner: 👨‍👩‍👧 is one emoji with it, three without


def _removed(ch: str) -> bool:
    return unicodedata.category(ch) in _REMOVED and ch != _KEPT


def clean_text(value: str, *, multiline: bool = True) -> str:
    """``value`` fit to store: no control or format characters; tabs and line breaks only where ``multiline``."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    out = []
    for ch in text:
        if ch in _LINE_SEPARATORS or ch == "\n":
            out.append("\n" if multiline else " ")
        elif ch == "\t":
            out.append("\t" if multiline else " ")
        elif not _removed(ch):
            out.append(ch)
    return "".join(out).strip()


def has_control(value: str) -> bool:
    """True when ``value`` holds a character :func:`clean_text` would remove (used to refuse, not strip, queries)."""
    return any(_removed(ch) or ch in _LINE_SEPARATORS for ch in value)


def _one_line(value: str) -> str:
    return clean_text(value, multiline=False)


#: Pydantic field types: ``CleanText`` keeps tabs and line breaks (descriptions), ``CleanLine`` makes one line.
CleanText = Annotated[str, AfterValidator(clean_text)]
CleanLine = Annotated[str, AfterValidator(_one_line)]
