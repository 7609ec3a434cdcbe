"""The findings vocabulary's rules: every filter has codes, facts never flag or score, risks rank by severity."""

from __future__ import annotations

import pytest

from service.core.findings import (
    FILTERS,
    FINDINGS,
    FindingKind,
    UnknownFinding,
    codes_for_filter,
    queue_flags,
    risk_score,
    vocabulary,
)


def test_every_filter_has_codes_and_every_code_a_name_in_both_languages() -> None:
    for f in FILTERS:
        assert codes_for_filter(f.code), f.code
    for entry in vocabulary("en"):
        assert entry["name_zh"]
        assert entry["name"] == entry["name_en"]
    with pytest.raises(UnknownFinding):
        codes_for_filter("qr_code")


def test_facts_and_quality_never_score_and_unfiltered_facts_never_flag() -> None:
    facts = [c for c, t in FINDINGS.items() if t.kind is FindingKind.fact]
    quality = [c for c, t in FINDINGS.items() if t.kind is FindingKind.quality]
    assert risk_score(facts + quality) == 0.0
    assert queue_flags(facts) == ["faces"]  # the only fact with a filter
    assert set(queue_flags(quality)) == set(quality)


@pytest.mark.parametrize("code", ["qr", "phone", "price", "watermark"])
def test_one_promotion_outranks_any_pile_of_low_risks(code: str) -> None:
    lows = [c for c, t in FINDINGS.items() if t.kind is FindingKind.risk and int(t.severity) == 1]
    assert risk_score([code]) > risk_score(lows) > risk_score(["faces", "blurry"]) == 0.0
    assert risk_score(["nudity"]) > risk_score(["qr", "phone", "price", "watermark", "promotion"])
    assert risk_score([code, "phone", "promotion"]) > risk_score([code])
