"""The end-to-end benchmark's report (``tests.bench.bench_e2e.report``) for a photos-only run and a full one: the
figures a reader takes away are computed from the phases that ran, and a run without videos reports no video rows
(it used to divide by an empty video phase)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.bench.bench_e2e import Phase, Run, Sample, report

STEPS = "verify → probe → derive → screen → dedupe → tag"


def _photos() -> Phase:
    return Phase(files=4, seconds=30.0, statuses={"ready": 4}, step_cpu={"derive": 2.0, "screen": 4.0},
                 worker_cpu=8.0)


def _args() -> argparse.Namespace:
    return argparse.Namespace(cpu=1, media=Path("/media"))


def test_photos_only_run_reports_photo_rows_and_no_video_rows() -> None:
    runs = [Run(_photos(), None, 0.5, None, {"ocr": "ran"}) for _ in range(3)]
    lines = report(_args(), runs, [Sample("a.jpg", "image", b"x" * 10)], [], STEPS, ["--no-videos"])
    text = "\n".join(lines)
    assert "| photo: step CPU ÷ bare set (target ≤ 2) | 3.00, 3.00, 3.00 | 3.00 (3.00–3.00) |" in text
    assert "**photos per worker core-minute** (60 ÷ worker CPU per photo) | 30.0, 30.0, 30.0" in text
    assert "video:" not in text
    assert "video-minutes" not in text
    assert "| screen | 1.000 |" in text
    assert "no videos (photos only)" in text


def test_run_with_videos_reports_both() -> None:
    videos = Phase(files=1, seconds=20.0, statuses={"ready": 1}, step_cpu={"derive": 5.0}, worker_cpu=6.0,
                   media_seconds=10.0)
    runs = [Run(_photos(), videos, 0.5, 0.2, {}) for _ in range(2)]
    lines = report(_args(), runs, [Sample("a.jpg", "image", b"x")], [Sample("v.mp4", "video", b"x", 10.0)], STEPS, [])
    text = "\n".join(lines)
    assert "| video: worker CPU ÷ bare 720p | 3.00, 3.00 |" in text
    assert "| derive | 0.500 | 0.500 |" in text
    assert "videos {'ready': 1}" in text
