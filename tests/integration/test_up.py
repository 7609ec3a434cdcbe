"""`mediadesk up` starts every server from wheels, serves the API, stops cleanly, and keeps data across restarts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


# --- supervision of the embedded servers (issue 14): kill -9 each, it is reaped and restarted, data intact ---------

#: How long after a kill -9 `/readyz` must answer 200 again.
RECOVERY_SECONDS = 30


@dataclass
class Instance:
    proc: subprocess.Popen[str]
    data: Path
    url: str
    endpoints: dict[str, str]
    headers: dict[str, str]
    submission_id: str


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    # Not under pytest's basetemp: another pytest run on the machine may prune it under the live servers.
    root = Path(tempfile.mkdtemp(prefix="mediadesk-up-"))
    data = root / "instance"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(data, port)
    try:
        wait_until(lambda: _ready(url), 180, 0.5, "mediadesk up to become ready")
        seeded = json.loads(_cli(data, "demo", "seed").strip().splitlines()[-1])
        headers = {"Authorization": f"Bearer {seeded['tokens']['submitter']}"}
        created = httpx.post(f"{url}/api/v1/submissions", headers=headers, timeout=10,
                             json={"title": "服务器被杀后仍在", "campaign_id": seeded["campaign_id"]})
        assert created.status_code == 201, created.text
        endpoints = json.loads((data / "run" / "endpoints.json").read_text())
        yield Instance(proc, data, url, endpoints, headers, created.json()["id"])
    finally:
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def _server_pid(instance: Instance, server: str) -> int:
    """The pid of an embedded server: a direct child of `mediadesk up` (the postmaster, redis-server, weed)."""
    marker = {"postgres": "postgres", "redis": "redis-server", "s3": "weed"}[server]
    for child in psutil.Process(instance.proc.pid).children():
        with contextlib.suppress(psutil.Error):
            if child.status() != psutil.STATUS_ZOMBIE and child.name() == marker:
                return child.pid
    raise AssertionError(f"no running {marker} under `mediadesk up`")


def _reaped(pid: int) -> bool:
    try:
        psutil.Process(pid).status()  # still in the process table: running or a zombie
    except psutil.NoSuchProcess:
        return True
    return False


def _put_marker(instance: Instance, server: str, value: str) -> Callable[[], object]:
    """Write something to ``server`` before the kill; returns a reader of it for after the restart."""
    if server == "redis":
        import redis

        client = redis.Redis.from_url(instance.endpoints["redis_url"], socket_timeout=5)
        client.set("supervision-marker", value)
        time.sleep(1.5)  # appendfsync everysec: a write older than a second survives kill -9
        return lambda: (client.get("supervision-marker") or b"").decode()
    if server == "s3":
        from minio import Minio

        s3 = Minio(instance.endpoints["s3_endpoint"], access_key=instance.endpoints["s3_access_key"],
                   secret_key=instance.endpoints["s3_secret_key"], secure=False)
        bucket = instance.endpoints.get("s3_bucket", "mediadesk")
        s3.put_object(bucket, "supervision-marker", io.BytesIO(value.encode()), len(value.encode()))
        return lambda: s3.get_object(bucket, "supervision-marker").read().decode()
    got = httpx.get(f"{instance.url}/api/v1/submissions/{instance.submission_id}", headers=instance.headers,
                    timeout=10)
    assert got.status_code == 200
    return lambda: httpx.get(f"{instance.url}/api/v1/submissions/{instance.submission_id}",
                             headers=instance.headers, timeout=10).json()["title"]


@pytest.mark.parametrize("server", ["redis", "postgres", "s3"])
def test_a_killed_embedded_server_is_reaped_restarted_and_ready_within_30s(instance: Instance, server: str) -> None:
    wait_until(lambda: _ready(instance.url), 60, 0.5, "the instance to be ready before the kill")
    expected = "服务器被杀后仍在" if server == "postgres" else f"marker-{server}-{time.time_ns()}"
    read = _put_marker(instance, server, expected)
    victim = _server_pid(instance, server)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: _reaped(victim), 10, 0.1, f"the killed {server} (pid {victim}) to be reaped, not a zombie")
    wait_until(lambda: _ready(instance.url), RECOVERY_SECONDS, 0.2, f"/readyz 200 after kill -9 of {server}")
    recovered = time.monotonic() - killed_at
    replacement = _server_pid(instance, server)
    assert replacement != victim
    assert instance.proc.poll() is None, "mediadesk up itself exited"
    assert read() == expected, f"{server} lost data across kill -9 and restart"
    assert recovered < RECOVERY_SECONDS
