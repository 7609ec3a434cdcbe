"""The short variants of ``make load`` and ``make chaos`` inside the suite: a 60-second load and one round of faults,
each against a stack of its own in a child process (faults kill servers: they must never touch the session's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT

UPLOADERS = os.environ.get("MEDIADESK_CI_UPLOADERS", "30")
#: Slow links and pauses keep many uploads in flight at once while the file cap keeps the pipeline's drain short.
PACING = ("--rate-kib", "32", "--think", "8", "--max-files", os.environ.get("MEDIADESK_CI_MAX_FILES", "80"))


def run_harness(tmp_path: Path, *args: str, timeout: float) -> dict[str, Any]:
    out = tmp_path / "figures.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIADESK_")} | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tests.load", "--root", str(tmp_path / "stack"), "--json", str(out),
                           "--report", str(tmp_path / "REPORT.md"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert out.exists(), (f"the harness did not finish (rc {proc.returncode}):\n"
                          f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(out.read_text())
    assert figures["tus"], f"the tus upload endpoint does not answer: {figures.get('notes')}"
    return figures


def assert_nothing_lost(figures: dict[str, Any]) -> None:
    assert figures["acknowledged"] > 0
    assert figures["lost"] == []
    assert figures["corrupt"] == []
    assert figures["duplicated"] == []
    assert figures["downloads_corrupt"] == 0
    assert figures["drained"], f"pipeline not drained: {figures['statuses']}"
    assert figures["stuck_jobs"] == []
    assert figures["duplicate_renditions"] == []
    assert figures["portal_corrupt"] == [], "an outlet received something else than the server's tagged copy"
    assert figures["refused_but_stored"] == [], "a refused upload became an asset"
    assert figures["unexpected_assets"] == []
    assert figures["leaked_uploads"] == [], "finished uploads left S3 multiparts or tail objects behind"
    assert figures["clean"]


@pytest.mark.load
def test_sixty_seconds_of_load_lose_nothing(tmp_path: Path) -> None:
    figures = run_harness(tmp_path, "--duration", "60", "--uploaders", UPLOADERS, *PACING, "--drain", "300",
                          timeout=900)
    assert_nothing_lost(figures)
    assert figures["server_errors_500"] == {}, "clients saw 5xx other than 503"
    assert figures["unavailable_without_retry_after"] == {}
    # Without faults no creation reply is lost, so no upload may be left holding quota.
    assert figures["orphan_uploads"] == []


@pytest.mark.chaos
def test_one_round_of_faults_loses_nothing_and_recovers(tmp_path: Path) -> None:
    figures = run_harness(tmp_path, "--duration", "20", "--uploaders", UPLOADERS, *PACING, "--drain", "300",
                          "--chaos", "--fault-gap", "4", "--fault-hold", "3", timeout=1200)
    assert_nothing_lost(figures)
    assert figures["server_errors_500"] == {}, "clients saw 5xx other than 503 during faults"
    assert figures["unavailable_without_retry_after"] == {}, "503 without Retry-After"
    for fault in figures["faults"]:
        if fault["note"].startswith("skipped"):
            continue
        assert fault["upload_after"] is not None, f"uploads did not recover after {fault['name']}: {fault}"
        assert fault["probe_status"] == "ready", f"the probe asset after {fault['name']} ended {fault}"
