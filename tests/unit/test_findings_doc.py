"""docs/SCREENING.md shows the findings vocabulary exactly as ``service.core.findings`` defines it."""

from __future__ import annotations

from pathlib import Path

from service.core.findings import markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "SCREENING.md"


def test_screening_doc_has_the_vocabulary_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- vocabulary:start -->", 1)[1].split("<!-- vocabulary:end -->", 1)[0]
    assert section.strip() == markdown(), "regenerate with: python -m service.core.findings"
