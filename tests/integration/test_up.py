"""`mediadesk up` starts every server from wheels, serves the API, stops cleanly, and keeps data across restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from service.core.embedded import free_port
from tests.support import ROOT, wait_until

pytestmark = pytest.mark.slow


def _cli(data: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIADESK_")}
    out = subprocess.run([sys.executable, "-m", "service.cli", *args, "--data", str(data)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


def _start(data: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIADESK_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen([sys.executable, "-m", "service.cli", "up", "--data", str(data), "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(proc: subprocess.Popen[str]) -> tuple[set[int], str]:
    children = {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
    os.killpg(proc.pid, signal.SIGTERM)
    output, _ = proc.communicate(timeout=90)
    return children, output


def test_up_serves_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    data = tmp_path / "instance"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(data, port)
    try:
        wait_until(lambda: _ready(url), 120, 0.5, "mediadesk up to become ready")
        endpoints = json.loads((data / "run" / "endpoints.json").read_text())
        assert {"database_url", "redis_url", "s3_endpoint", "s3_access_key", "s3_secret_key"} <= set(endpoints)
        seeded = json.loads(_cli(data, "demo", "seed").strip().splitlines()[-1])
        headers = {"Authorization": f"Bearer {seeded['tokens']['submitter']}"}
        created = httpx.post(f"{url}/api/v1/submissions", headers=headers, timeout=10,
                             json={"title": "重启后仍在", "campaign_id": seeded["campaign_id"]})
        assert created.status_code == 201, created.text
    finally:
        children, output = _stop(proc)
    assert proc.returncode == 0, output
    assert "stopped" in output
    still_running = [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    assert still_running == [], f"left running after stop: {still_running}"

    proc = _start(data, port)
    try:
        wait_until(lambda: _ready(url), 120, 0.5, "mediadesk up to restart")
        got = httpx.get(f"{url}/api/v1/submissions/{created.json()['id']}", headers=headers, timeout=10)
        assert got.status_code == 200
        assert got.json()["title"] == "重启后仍在"
    finally:
        _stop(proc)
