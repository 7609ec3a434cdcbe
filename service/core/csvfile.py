"""The one CSV writer for everything mediadesk writes (report exports, review exports, package captions, CLI reports).

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or CR as a formula (CSV injection,
OWASP): such a cell gets a leading apostrophe, which every spreadsheet shows as text and nothing else.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: The media type of an Excel workbook (the XLSX exports beside each CSV).
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(enum.StrEnum):
    """An export's format: the ``format=`` parameter of every list that can be downloaded."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def safe_cell(value: Any) -> Any:
    """``value``, or a string that a spreadsheet shows as text when it would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(out: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> None:
    """Write a header row and ``rows`` (sequences, or mappings keyed by header) with every cell neutralised."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        values = [row.get(h, "") for h in headers] if isinstance(row, Mapping) else row
        writer.writerow([safe_cell(v) for v in values])


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM: Excel, what most newsrooms and offices open a CSV with, needs it to read Chinese."""
    out = io.StringIO()
    write_rows(out, headers, rows)
    return ("\ufeff" + out.getvalue()).encode()
