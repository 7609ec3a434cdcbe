"""Bounds on what clients and files may tell us, checked before anything reaches the database or date arithmetic.

Dates and times: years 1900–2200. PostgreSQL stores up to year 294276, but Python's ``datetime`` ends at 9999:
``9999-12-31T23:59:59-12:00`` is year 10000 in UTC, and ``date(9999, 12, 31) + 1 day`` overflows, so such a value
once broke every later read of its row. Numbers: only ASCII digits (``"²²".isdigit()`` is True, ``int("²²")`` fails).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
_MESSAGE = f"日期须在 {EARLIEST.year}–{LATEST.year} 年之间 / dates must lie between {EARLIEST.year} and {LATEST.year}"
ASCII_DIGITS = re.compile(r"[0-9]+")


def date_in_range(value: date) -> bool:
    return EARLIEST <= value <= LATEST


def check_date(value: date) -> date:
    if not date_in_range(value):
        raise ValueError(_MESSAGE)
    return value


def check_datetime(value: datetime) -> datetime:
    """Checked both as given and in UTC (a far-future local time can be past year 9999 in UTC)."""
    if not date_in_range(value.date()):  # first: converting year 9999 to UTC could overflow
        raise ValueError(_MESSAGE)
    if value.tzinfo is not None and not date_in_range(value.astimezone(UTC).date()):
        raise ValueError(_MESSAGE)
    return value


def bounded_or_none(value: datetime | None) -> datetime | None:
    """An EXIF or container date outside the bounds is no date at all (stored as unknown, not as an overflow)."""
    if value is None:
        return None
    try:
        return check_datetime(value)
    except ValueError:
        return None


def ascii_int(value: str) -> int | None:
    """``int(value)`` for ASCII digits only, else None."""
    return int(value) if ASCII_DIGITS.fullmatch(value) else None


BoundedDate = Annotated[date, AfterValidator(check_date)]
BoundedDateTime = Annotated[datetime, AfterValidator(check_datetime)]
