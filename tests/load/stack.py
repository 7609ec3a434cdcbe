"""The system under load: our own stack (real servers from wheels, API and worker processes) or a running instance.

Owning the stack is what lets the fault rounds kill -9 and restart each part; ``--data DIR --url URL`` targets a
running ``mediadesk up`` instead (no faults then: we do not own its processes).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from service.core.embedded import EmbeddedServers
from tests.support import ROOT, Actor, ChildProcess, LiveAPI, make_actor, make_org, unique, worker_process


def point_at(environment: dict[str, str]) -> None:
    """Make this process's settings, engines and storage talk to ``environment``'s servers."""
    from service.cli.context import use_data_dir

    os.environ.update(environment)
    use_data_dir(None)


@dataclass
class SmallDisk:
    """A size-limited scratch folder for the workers (tmpfs mounted as root), to be filled on purpose."""

    path: Path
    megabytes: int = 24
    mounted: bool = False

    def mount(self) -> bool:
        self.path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return False
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.megabytes}m,mode=1777", "tmpfs",
                                 str(self.path)], capture_output=True, timeout=30)
        self.mounted = result.returncode == 0
        return self.mounted

    def fill(self) -> int:
        """Write a filler file until the filesystem is full; returns bytes written."""
        written = 0
        block = b"\0" * (1024 * 1024)
        with contextlib.suppress(OSError), (self.path / "filler.bin").open("wb") as out:
            while True:
                out.write(block)
                out.flush()
                written += len(block)
        return written

    def drain(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.path / "filler.bin").unlink()

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, timeout=30)
            self.mounted = False


@dataclass
class World:
    """Who takes part: submitters of several organisations, editors, outlets and an admin."""

    campaign_id: uuid.UUID
    submitters: list[tuple[Actor, uuid.UUID]]  # (actor, submission id)
    editors: list[Actor]
    outlets: list[Actor]
    admin: Actor


def seed_world(submitter_orgs: int = 8, editors: int = 3, outlets: int = 2) -> World:
    from service.admin import service as admin
    from service.core.db import session_scope
    from service.db.org import OrgKind, Role
    from service.db.submission import Submission

    now = datetime.now(UTC)
    with session_scope() as session:
        campaign = admin.create_campaign(
            session, year=now.year, name=unique("load-campaign"), theme="技能：让生活更美好",
            week_start=date.today(), week_end=date.today() + timedelta(days=6),
            upload_opens_at=now - timedelta(days=1), upload_closes_at=now + timedelta(days=7),
        )
        campaign_id = campaign.id
    pairs = []
    for index in range(submitter_orgs):
        actor = make_actor(Role.submitter, make_org(OrgKind.school, name=unique(f"load-school-{index}")))
        with session_scope() as session:
            submission = Submission(campaign_id=campaign_id, org_id=actor.org_id, created_by=actor.user_id,
                                    title=f"负载测试：开放校园活动 {index}", category="activity_photos", consent=True)
            session.add(submission)
            session.flush()
            pairs.append((actor, submission.id))
    return World(campaign_id, pairs, [make_actor(Role.editor) for _ in range(editors)],
                 [make_actor(Role.outlet) for _ in range(outlets)], make_actor(Role.admin))


@dataclass
class Stack:
    """Servers + API replicas + workers + beat, all owned by this process (or attached to a running instance)."""

    root: Path
    api_count: int = 2
    worker_count: int = 1
    worker_concurrency: int = 2
    small_disk_mb: int = 0
    servers: EmbeddedServers | None = None
    apis: list[LiveAPI] = field(default_factory=list)
    workers: list[ChildProcess] = field(default_factory=list)
    beat: ChildProcess | None = None
    disk: SmallDisk | None = None
    external_urls: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def owned(self) -> bool:
        return self.servers is not None

    @property
    def urls(self) -> list[str]:
        return [api.url for api in self.apis] or self.external_urls

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def start(self) -> Stack:
        self.root.mkdir(parents=True, exist_ok=True)
        self.servers = EmbeddedServers(self.root / "servers")
        self.servers.start()
        self.env = {**os.environ, **self.servers.environment(), "MEDIADESK_ENV": "test",
                    "MEDIADESK_DATA_DIR": str(self.root / "servers"), "PYTHONUNBUFFERED": "1",
                    "PYTHONPATH": str(ROOT), "MEDIADESK_SWEEPER_INTERVAL_SECONDS": "10",
                    # A killed worker's prefetched steps come back after this (the default 600 s outlasts a CI run).
                    "MEDIADESK_SWEEPER_LOST_AFTER_SECONDS": os.environ.get("MEDIADESK_SWEEPER_LOST_AFTER_SECONDS",
                                                                            "90"),
                    "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        if self.small_disk_mb:
            self.disk = SmallDisk(self.root / "worker-tmp", self.small_disk_mb)
            self.disk.mount()
            self.env["MEDIADESK_WORKER_TMP_DIR"] = str(self.disk.path)
        point_at(self.servers.environment() | {"MEDIADESK_ENV": "test",
                                               "MEDIADESK_DATA_DIR": str(self.root / "servers")})
        from service.core.storage import get_storage
        from service.db.migrate import upgrade

        upgrade(self.servers.postgres.url)
        get_storage().ensure_bucket()
        self.apis = [LiveAPI(self.env, self.logs).start() for _ in range(self.api_count)]
        self.workers = [self.new_worker(i) for i in range(self.worker_count)]
        self.beat = ChildProcess([sys.executable, "-m", "celery", "-A", "workers.celery_app:app", "beat",
                                  "--loglevel", "INFO", "--schedule", str(self.root / "celerybeat-schedule")],
                                 self.env, self.logs / "beat.log").start()
        self.wait_ready()
        return self

    def new_worker(self, index: int) -> ChildProcess:
        return worker_process(self.env, self.logs, name=f"load-worker-{index}-{uuid.uuid4().hex[:4]}",
                              concurrency=self.worker_concurrency).start()

    def attach(self, data: Path, urls: list[str]) -> Stack:
        """Use a running ``mediadesk up`` (its endpoints file) and its API URL(s)."""
        point_at({"MEDIADESK_DATA_DIR": str(data.resolve())})
        self.external_urls = [u.rstrip("/") for u in urls]
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds until every API replica answers /readyz with 200."""
        start = time.monotonic()
        pending = set(self.urls)
        while pending and time.monotonic() - start < timeout:
            for url in list(pending):
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                        pending.discard(url)
            if pending:
                time.sleep(0.25)
        if pending:
            raise TimeoutError(f"not ready after {timeout:.0f}s: {sorted(pending)}")
        return time.monotonic() - start

    def stop(self) -> None:
        for proc in [*self.apis, *self.workers, *([self.beat] if self.beat else [])]:
            with contextlib.suppress(Exception):
                proc.stop()
        if self.servers is not None:
            from service.core.db import reset_engines

            reset_engines()
            self.servers.stop()
        if self.disk is not None:
            self.disk.unmount()
