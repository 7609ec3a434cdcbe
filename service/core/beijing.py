"""Beijing time: the one owner of the zone every page, deadline and report speaks in (UTC+8, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_today(now: datetime | None = None) -> date:
    """Today's date in Beijing (deadlines are Beijing calendar days)."""
    return (now or datetime.now(UTC)).astimezone(BEIJING).date()
