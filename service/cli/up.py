"""``mediadesk up``: start, supervise and cleanly stop the whole service on one machine.

Servers not given by URL (``MEDIADESK_DATABASE_URL``, ``MEDIADESK_REDIS_URL``, ``MEDIADESK_S3_ENDPOINT``) are started
from wheels under ``--data``; their endpoints go to ``DATA/run/endpoints.json`` so that other ``mediadesk`` commands
with the same ``--data`` reach the same instance. Then migrations run and the API, a Celery worker and the beat
scheduler start as supervised child processes (restarted with backoff if they die).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Protocol

import typer

from service.core.config import Settings
from service.core.embedded import EmbeddedServers, Postgres, Redis, SeaweedS3, wait_for_port
from service.core.queues import ALL_QUEUES_ARG


class Restartable(Protocol):
    """What the supervisor needs of a child: start it, ask whether it still runs (reaping it if not), stop it."""

    name: str
    restarts: int
    started_at: float
    backoff_until: float

    def start(self) -> None: ...

    def alive(self) -> bool: ...

    def exit_code(self) -> int | None: ...

    def stop(self) -> None: ...


@dataclass
class Child:
    """A supervised child process."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    backoff_until: float = field(default=0.0)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return self.proc.returncode if self.proc else None

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@dataclass
class ServerChild:
    """An embedded server (PostgreSQL, Redis, S3) under the same supervision as the other children."""

    name: str
    server: Postgres | Redis | SeaweedS3
    restarts: int = 0
    started_at: float = 0.0
    backoff_until: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        try:
            self.server.start()
        except Exception as exc:  # e.g. the old postmaster's shared memory still in use: retried after a backoff
            typer.echo(f"{self.name} did not start: {exc}", err=True)

    def alive(self) -> bool:
        return self.server.alive()

    def exit_code(self) -> int | None:
        proc = self.server.proc
        return proc.returncode if proc is not None else None

    def stop(self) -> None:
        self.server.stop()


def supervise(children: Sequence[Restartable], stopping: Callable[[], bool]) -> None:
    """Restart children that died until ``stopping()``; the delay doubles (1 s … 30 s) while a child keeps dying
    within a minute of its start."""
    while not stopping():
        time.sleep(0.5)
        for child in children:
            if stopping() or child.alive():
                continue
            now = time.monotonic()
            if child.backoff_until == 0.0:
                delay = min(30.0, 2.0 ** min(child.restarts, 5)) if now - child.started_at < 60 else 1.0
                typer.echo(f"{child.name} exited ({child.exit_code()}); restarting in {delay:.0f}s", err=True)
                child.backoff_until = now + delay
            elif now >= child.backoff_until:
                child.restarts += 1
                child.backoff_until = 0.0
                child.start()
                if child.alive():
                    typer.echo(f"{child.name} restarted (restart {child.restarts})", err=True)


def child_processes(settings: Settings, env: dict[str, str], host: str, port: int, data: Path) -> list[Child]:
    py = sys.executable
    logs = data / "logs"
    return [
        Child("api", [py, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", host, "--port", str(port),
                      "--no-proxy-headers", "--timeout-graceful-shutdown", "10"], env, logs / "api.log"),
        Child("worker", [py, "-m", "celery", "-A", "workers.celery_app:app", "worker", "--loglevel", "INFO",
                         "-Q", ALL_QUEUES_ARG, "--concurrency", "2", "-n", "mediadesk@%h",
                         "--without-gossip", "--without-mingle"], env, logs / "worker.log"),
        Child("beat", [py, "-m", "celery", "-A", "workers.celery_app:app", "beat", "--loglevel", "INFO",
                       "--schedule", str(data / "run" / "celerybeat-schedule")], env, logs / "beat.log"),
    ]


def up(
    data: Annotated[Path, typer.Option("--data", envvar="MEDIADESK_DATA_DIR", help="data folder")] = Path(".mediadesk"),
    host: Annotated[str, typer.Option(help="API listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port")] = 8000,
) -> None:
    """Run mediadesk on this machine until Ctrl-C / SIGTERM (embedded servers unless given by URL)."""
    data = data.resolve()
    (data / "run").mkdir(parents=True, exist_ok=True)
    os.environ["MEDIADESK_DATA_DIR"] = str(data)
    base = Settings()  # only what the environment says: endpoints.json from an earlier run is rewritten below
    servers = EmbeddedServers(data)
    embedded: list[Postgres | Redis | SeaweedS3] = []
    if not base.database_url:
        embedded.append(servers.postgres)
    if not base.redis_url:
        embedded.append(servers.redis)
    if not base.s3_endpoint:
        embedded.append(servers.s3)

    stopping = False

    def on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    children: list[Child] = []
    try:
        for server in embedded:
            typer.echo(f"starting {type(server).__name__} …")
            server.start()
        endpoints = {**servers.endpoints(), **{k: v for k, v in {
            "database_url": base.database_url, "redis_url": base.redis_url, "s3_endpoint": base.s3_endpoint,
            "s3_access_key": base.s3_access_key, "s3_secret_key": base.s3_secret_key,
            "s3_bucket": base.s3_bucket if base.s3_endpoint else None,
        }.items() if v}}
        endpoints_file = data / "run" / "endpoints.json"
        endpoints_file.write_text(json.dumps({**endpoints, "api_url": f"http://{host}:{port}"}, indent=2))
        endpoints_file.chmod(0o600)
        settings = Settings().with_embedded_endpoints()

        from service.core.storage import Storage
        from service.db.migrate import upgrade

        typer.echo("migrating database …")
        upgrade(settings.database_url or "")
        Storage(settings).ensure_bucket()

        env = {**os.environ, "MEDIADESK_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1",
               "MEDIADESK_PUBLIC_URL": os.environ.get("MEDIADESK_PUBLIC_URL", f"http://{host}:{port}")}
        children = child_processes(settings, env, host, port, data)
        for child in children:
            child.start()
        wait_for_port(host, port, 60, children[0].proc)
        typer.echo(f"mediadesk is up: http://{host}:{port}  (data: {data}, logs: {data / 'logs'})")
        typer.echo("Ctrl-C to stop")
        names = {"Postgres": "postgres", "Redis": "redis", "SeaweedS3": "s3"}
        servers_supervised = [ServerChild(names[type(server).__name__], server, started_at=time.monotonic())
                              for server in embedded]
        supervise([*servers_supervised, *children], lambda: stopping)
    finally:
        typer.echo("stopping …")
        for child in reversed(children):
            child.stop()
        for server in reversed(embedded):
            server.stop()
        typer.echo("stopped")
