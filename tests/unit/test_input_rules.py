"""The one-owner rules behind issue 14's fixes: text cleaning, bounds, CSV cells, download names, user names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.core.bounds import ascii_int, bounded_or_none, check_date, check_datetime
from service.core.config import entropy_bits, placeholder
from service.core.csvfile import safe_cell
from service.core.security import normalize_username
from service.core.storage import content_disposition
from service.core.text import clean_text, has_control


@pytest.mark.parametrize(("raw", "multi", "one"), [
    ("a\x00b", "ab", "ab"),
    ("  标题\x1b[31m  ", "标题[31m", "标题[31m"),
    ("一\u2028二\u2029三", "一\n二\n三", "一 二 三"),
    ("a\r\nb\rc", "a\nb\nc", "a b c"),
    ("x\u202eevil\u200b", "xevil", "xevil"),
    ("tab\there", "tab\there", "tab here"),
    ("家庭👨\u200d👩\u200d👧\ud800", "家庭👨\u200d👩\u200d👧", "家庭👨\u200d👩\u200d👧"),
    ("新\U000e0001\ufeff", "新", "新"),
])
def test_clean_text(raw: str, multi: str, one: str) -> None:
    assert clean_text(raw) == multi
    assert clean_text(raw, multiline=False) == one


@given(st.text())
def test_clean_text_is_idempotent_and_leaves_nothing_to_refuse(value: str) -> None:
    once = clean_text(value, multiline=False)
    assert clean_text(once, multiline=False) == once
    assert not has_control(once)
    assert "\x00" not in clean_text(value)


def test_bounds() -> None:
    assert ascii_int("370102") == 370102
    for bad in ("²²", "٣٧", "", "-1", "1e3", " 12"):
        assert ascii_int(bad) is None
    with pytest.raises(ValueError, match="1900"):
        check_date(date(9999, 12, 31))
    with pytest.raises(ValueError, match="1900"):
        check_datetime(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))))
    with pytest.raises(ValueError, match="1900"):
        check_datetime(datetime(2200, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-12))))  # 2201 in UTC
    assert check_datetime(datetime(2023, 5, 14, 9, tzinfo=UTC)).year == 2023
    assert bounded_or_none(datetime(9999, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell
    assert safe_cell("普通说明") == "普通说明"
    assert safe_cell(-1) == -1  # numbers are numbers


@given(st.text(min_size=0, max_size=300))
def test_content_disposition_never_carries_a_path_or_a_control_character(name: str) -> None:
    header = content_disposition(name)
    plain, _, star = header.partition("; filename*=UTF-8''")
    assert plain.startswith('attachment; filename="')
    assert plain.isascii()
    assert not has_control(header)
    assert not {"/", "\\"} & set(plain[len('attachment; filename="'):-1])
    assert all(part not in star for part in ("%2F", "%5C", "/"))


def test_user_names_have_one_form() -> None:
    assert {normalize_username(n) for n in (" Name", "\tname", "NAME ", "ｎａｍｅ", "Ｎame")} == {"name"}


def test_secret_strength() -> None:
    assert placeholder("change-me-postgres")
    assert placeholder("CHANGE-ME")
    assert entropy_bits("x" * 64) == 0
    assert entropy_bits("0123456789" * 4) < 40
    assert entropy_bits("f3a9c2" * 1 + "0b7e41d85a6c29f0e1d3b4a5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4") > 100
