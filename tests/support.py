"""Test helpers: factories for organisations, users and campaigns, and child processes we own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from service.admin import service as admin
from service.core.db import session_scope
from service.core.embedded import free_port, wait_for_port
from service.db.campaign import Campaign
from service.db.org import OrgKind, Role
from service.db.submission import Submission

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Actor:
    """A user with a token, for tests."""

    username: str
    role: Role
    org_id: uuid.UUID
    org_name: str
    token: str
    user_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_org(kind: OrgKind = OrgKind.school, region: str | None = "370100", name: str | None = None) -> uuid.UUID:
    with session_scope() as session:
        return admin.create_org(session, name=name or unique(f"org-{kind.value}"), kind=kind, region_code=region).id


def make_actor(role: Role, org_id: uuid.UUID | None = None, password: str | None = None) -> Actor:
    kind = {Role.outlet: OrgKind.outlet, Role.editor: OrgKind.ministry, Role.admin: OrgKind.ministry}.get(
        role, OrgKind.school
    )
    org_id = org_id or make_org(kind)
    username = unique(role.value)
    with session_scope() as session:
        user = admin.create_user(session, username=username, role=role, org=str(org_id), password=password)
        token = admin.create_token(session, username=username)
        return Actor(username, role, org_id, user.org.name, token, user.id)


def make_campaign(open_now: bool = True, **limits: object) -> uuid.UUID:
    now = datetime.now(UTC)
    opens, closes = (now - timedelta(days=1), now + timedelta(days=7)) if open_now else (
        now - timedelta(days=30), now - timedelta(days=20))
    with session_scope() as session:
        campaign = admin.create_campaign(
            session, year=now.year, name=unique("campaign"), theme="技能：让生活更美好",
            week_start=date.today(), week_end=date.today() + timedelta(days=6),
            upload_opens_at=opens, upload_closes_at=closes,
        )
        for key, value in limits.items():
            setattr(campaign, key, value)
        return campaign.id


def make_submission(actor: Actor, campaign_id: uuid.UUID, title: str = "开放校园活动") -> uuid.UUID:
    with session_scope() as session:
        submission = Submission(campaign_id=campaign_id, org_id=actor.org_id, created_by=actor.user_id,
                                title=title, category="activity_photos")
        session.add(submission)
        session.flush()
        return submission.id


def set_campaign(campaign_id: uuid.UUID, **values: object) -> None:
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        for key, value in values.items():
            setattr(campaign, key, value)


class ChildProcess:
    """A real process (uvicorn API, Celery worker) started by a test and always stopped."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ChildProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class LiveAPI(ChildProcess):
    """uvicorn serving create_app() on a free loopback port."""

    def __init__(self, env: dict[str, str], log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        args = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1",
                "--port", str(self.port), "--log-level", "warning"]
        super().__init__(args, env, log_dir / f"api-{self.port}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveAPI:
        super().start()
        wait_for_port("127.0.0.1", self.port, 30, self.proc)
        return self


def worker_process(env: dict[str, str], log_dir: Path, queues: str = "ingest,media,ml,default",
                   name: str | None = None, concurrency: int = 1) -> ChildProcess:
    name = name or unique("worker")
    args = [sys.executable, "-m", "celery", "-A", "workers.celery_app:app", "worker", "-Q", queues,
            "--concurrency", str(concurrency), "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
            "--loglevel", "INFO"]
    return ChildProcess(args, env, log_dir / f"{name}.log")


def wait_until(predicate, timeout: float = 60, interval: float = 0.25, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value; fail with ``message`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")


def wait_for_asset(client: httpx.Client, asset_id: str, headers: dict[str, str], statuses: set[str],
                   timeout: float = 120) -> dict[str, object]:
    def check() -> dict[str, object] | None:
        body: dict[str, object] = client.get(f"/api/v1/assets/{asset_id}", headers=headers).json()
        return body if body.get("status") in statuses else None

    return wait_until(check, timeout, 0.5, f"asset {asset_id} to reach {statuses}")  # type: ignore[no-any-return]


def make_asset(actor: Actor, campaign_id: uuid.UUID, submission_id: uuid.UUID, data: bytes, *,
               filename: str = "photo.jpg", kind: str = "image", mime: str = "image/jpeg",
               status: str = "stored", width: int | None = None, height: int | None = None,
               duration: float | None = None) -> uuid.UUID:
    """An asset whose original is already in S3 (as after upload + verify), for tests of later pipeline steps."""
    import hashlib

    from service.core.storage import get_storage
    from service.db.asset import Asset, AssetKind, AssetStatus

    asset_id = uuid.uuid4()
    key = f"originals/{campaign_id}/{actor.org_id}/{asset_id}/{filename}"
    get_storage().put_bytes(key, data, mime)
    with session_scope() as session:
        session.add(Asset(id=asset_id, submission_id=submission_id, org_id=actor.org_id, campaign_id=campaign_id,
                          uploaded_by=actor.user_id, kind=AssetKind(kind), status=AssetStatus(status),
                          original_key=key, original_filename=filename, size=len(data), mime=mime,
                          sha256=hashlib.sha256(data).hexdigest(), width=width, height=height, duration=duration,
                          probe={}))
    return asset_id
