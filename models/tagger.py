"""Tagging from a campaign's taxonomy (passed in as ``TaxonomyTag`` values: the campaign stores it, the caller reads
it): text (a submission's, a caption, OCR) matched with jieba, capture time checked against the week, GPS checked
against the submitter's province (``data/provinces.json``). EXIF is read once, by ``service.core.exif`` in the probe
step; nothing here opens a file."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
#: A tag's own name in the text is strong evidence; one of its keywords is weaker; each further hit adds a little.
NAME_SCORE, KEYWORD_SCORE, EXTRA_HIT = 0.9, 0.6, 0.1
BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class TaxonomyTag:
    name: str
    en: str
    facet: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class TagMatch:
    name: str
    facet: str
    score: float
    evidence: tuple[str, ...]


_JIEBA_WORDS: set[str] = set()


@lru_cache(maxsize=1)
def _jieba_module() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _jieba(tags: Sequence[TaxonomyTag]) -> Any:
    """jieba with every tag's name and keywords kept whole (added once per word, whatever campaign brought it)."""
    jieba = _jieba_module()
    for tag in tags:
        for word in (tag.name, *tag.keywords):
            if word not in _JIEBA_WORDS:
                jieba.add_word(word, freq=20000)
                _JIEBA_WORDS.add(word)
    return jieba


def match_text(text: str, tags: Sequence[TaxonomyTag]) -> list[TagMatch]:
    """Taxonomy tags whose name or keywords occur in ``text`` (Chinese or English aliases)."""
    compact = re.sub(r"\s+", "", text)
    if not compact or not tags:
        return []
    tokens = set(_jieba(tags).lcut(compact))
    lower = text.lower()
    matches = []
    for tag in tags:
        evidence = [w for w in (tag.name, *tag.keywords) if w in tokens or (len(w) >= 3 and w in compact)]
        if tag.en and tag.en.lower() in lower:
            evidence.append(tag.en)
        if not evidence:
            continue
        base = NAME_SCORE if tag.name in evidence or tag.en in evidence else KEYWORD_SCORE
        score = min(1.0, base + EXTRA_HIT * (len(set(evidence)) - 1))
        matches.append(TagMatch(tag.name, tag.facet, round(score, 2), tuple(dict.fromkeys(evidence))))
    return matches


def mentions_week(text: str, keywords: Sequence[str]) -> bool:
    compact = re.sub(r"\s+", "", text)
    return any(k and k in compact for k in keywords)


def week_check(capture: datetime | None, week_start: date, week_end: date, slack_days: int = 1) -> str:
    """in_week | outside_week | unknown (no capture time). ``slack_days`` absorbs time zones and late evenings."""
    if capture is None:
        return "unknown"
    day = (capture.astimezone(BEIJING) if capture.tzinfo else capture).date()  # the week's days are Beijing days
    if (week_start - day).days <= slack_days and (day - week_end).days <= slack_days:
        return "in_week"
    return "outside_week"


@lru_cache(maxsize=1)
def provinces() -> dict[str, tuple[str, list[float]]]:
    raw = json.loads((DATA / "provinces.json").read_text(encoding="utf-8"))
    return {code: (value[0], value[1]) for code, value in raw.items() if not code.startswith("_")}


def province_check(lat: float | None, lon: float | None, region_code: str | None, margin: float = 0.5) -> str:
    """inside | outside | unknown. Boxes are coarse; ``margin`` degrees keep border towns from being flagged."""
    if lat is None or lon is None or not region_code:
        return "unknown"
    entry = provinces().get(region_code[:2])
    if entry is None:
        return "unknown"
    lon_min, lat_min, lon_max, lat_max = entry[1]
    inside = lon_min - margin <= lon <= lon_max + margin and lat_min - margin <= lat <= lat_max + margin
    return "inside" if inside else "outside"


def province_of(lat: float, lon: float) -> str | None:
    for _code, (name, (lon_min, lat_min, lon_max, lat_max)) in provinces().items():
        if lon_min <= lon <= lon_max and lat_min <= lat <= lat_max:
            return name
    return None
