"""Test helpers: factories for organisations, users and campaigns, and child processes we own."""

from __future__ import annotations

import os
import re
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
from service.core.storage import get_storage
from service.core.tasks import queue_step
from service.db.asset import Asset, AssetStatus
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
                "--port", str(self.port), "--log-level", "warning", "--no-proxy-headers"]
        super().__init__(args, env, log_dir / f"api-{self.port}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveAPI:
        super().start()
        wait_for_port("127.0.0.1", self.port, 30, self.proc)
        return self


def worker_process(env: dict[str, str], log_dir: Path, queues: str = "ingest,media,ml,default",
                   name: str | None = None, concurrency: int = 1, hostname: str | None = None,
                   app: str = "workers.celery_app:app") -> ChildProcess:
    """A Celery worker; ``hostname`` (``ingest@nodeA``) overrides ``{name}@%h`` to tell nodes apart in job rows."""
    name = name or unique("worker")
    args = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queues,
            "--concurrency", str(concurrency), "-n", hostname or f"{name}@%h", "--without-gossip",
            "--without-mingle", "--loglevel", "INFO"]
    return ChildProcess(args, env, log_dir / f"{name}.log")


def beat_process(env: dict[str, str], log_dir: Path, name: str = "beat") -> ChildProcess:
    """The Celery beat scheduler (runs the sweeper every ``MEDIADESK_SWEEPER_INTERVAL_SECONDS``)."""
    args = [sys.executable, "-m", "celery", "-A", "workers.celery_app:app", "beat", "--loglevel", "INFO",
            "--schedule", str(log_dir / f"{name}-schedule")]
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


def decodable_media(kind: str, seed: int = 0) -> bytes:
    """A small real file of ``kind`` (jpeg/png 640×480; mp4 640×480, 1.2 s) within the default campaign limits."""
    import io

    from PIL import Image

    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    if kind in ("jpeg", "png"):
        buffer = io.BytesIO()
        Image.new("RGB", (640, 480), colour).save(buffer, "JPEG" if kind == "jpeg" else "PNG")
        return buffer.getvalue()
    import subprocess
    import tempfile

    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        f"color=c=0x{colour[0]:02x}{colour[1]:02x}{colour[2]:02x}:size=640x480:rate=5", "-t", "1.2",
                        "-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart",
                        str(path)], check=True, timeout=60)
        return path.read_bytes()


def media_bytes(size: int, kind: str = "jpeg", seed: int = 0) -> bytes:
    """``size`` bytes of ``kind`` (jpeg, png, mp4): a real decodable file padded with random bytes after its end.

    Decoders ignore the padding, so the asset goes through the whole pipeline. Below the real file's size (a few KB)
    only the magic header is real: enough for upload tests, and the probe rejects such a file as corrupt.
    """
    import random

    real = decodable_media(kind, seed)
    if size >= len(real):
        return real + random.Random(seed).randbytes(size - len(real))
    headers = {
        "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    }
    head = headers[kind]
    return head + random.Random(seed).randbytes(max(0, size - len(head)))


def write_media(path: Path, size: int, kind: str = "jpeg", seed: int = 0, block: int = 16 * 1024 * 1024) -> str:
    """Write a sniffable file of ``size`` bytes block by block (big files never sit in memory); returns its sha256."""
    import hashlib
    import random

    digest = hashlib.sha256()
    rng = random.Random(seed)
    with path.open("wb") as out:
        real = decodable_media(kind, seed)
        first = media_bytes(min(size, max(4096, len(real))), kind, seed)
        out.write(first)
        digest.update(first)
        left = size - len(first)
        while left > 0:
            chunk = rng.randbytes(min(block, left))
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def tus_metadata(**values: str) -> str:
    import base64

    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
def make_asset(actor: Actor, campaign_id: uuid.UUID, data: bytes, filename: str, *,
               submission_id: uuid.UUID | None = None, first_step: str = "probe", queue: bool = True) -> uuid.UUID:
    """An uploaded original without going through tus: bytes in S3, an Asset row, ``first_step`` queued after commit.

    ``first_step="verify"`` leaves the asset as the upload endpoint does (``uploading``); any later step starts from
    ``stored`` with the sha256 already recorded.
    """
    import hashlib


    submission_id = submission_id or make_submission(actor, campaign_id)
    asset_id = uuid.uuid4()
    key = f"originals/{campaign_id}/{actor.org_id}/{asset_id}/{filename}"
    get_storage().put_bytes(key, data)
    verified = first_step != "verify"
    with session_scope() as session:
        session.add(Asset(id=asset_id, submission_id=submission_id, org_id=actor.org_id, campaign_id=campaign_id,
                          uploaded_by=actor.user_id, status=AssetStatus.stored if verified else AssetStatus.uploading,
                          original_key=key, original_filename=filename, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest() if verified else None))
        session.flush()
        if queue:
            queue_step(session, asset_id, first_step)
    return asset_id


#: Campaign limits that let the tiny generated fixtures (320×240, 1.5 s) through the probe's checks.
SMALL_MEDIA_LIMITS: dict[str, object] = {"min_image_pixels": 100 * 100, "min_video_height": 120,
                                         "min_video_seconds": 0.5}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_from(html: str) -> str:
    """The CSRF token a page embeds (``<meta name="csrf-token">``)."""
    found = CSRF_META.search(html)
    assert found, "page carries no CSRF token"
    return found.group(1)


def web_login(client: httpx.Client, username: str, password: str, next_path: str = "") -> str:
    """Log ``client`` in through the login form like a browser would; return the session's CSRF token."""
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": next_path}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return csrf_from(client.get("/login").text)


def tiny_jpeg(color: tuple[int, int, int] = (180, 40, 30), size: tuple[int, int] = (64, 48)) -> bytes:
    """A small generated JPEG: a diagonal gradient from ``color`` to a light tint (thumbnails of fixture assets)."""
    import io

    from PIL import Image, ImageOps

    ramp = Image.linear_gradient("L").rotate(45, expand=True).resize(size)
    light = tuple(min(255, c + 150) for c in color)
    out = io.BytesIO()
    ImageOps.colorize(ramp, black=color, white=light).save(out, "JPEG", quality=85)  # type: ignore[arg-type]
    return out.getvalue()


def make_ready_asset(
    submission_id: uuid.UUID,
    filename: str = "photo.jpg",
    *,
    kind: str = "image",
    caption: str = "",
    probe: dict[str, object] | None = None,
    with_thumb: bool = False,
    findings: list[str] | list[dict[str, object]] | None = None,
    **screening: object,
) -> uuid.UUID:
    """An asset that went through the pipeline (status ``ready``) and entered the review queue.

    Stands in for the workers when a test is about review, not processing. ``findings`` are vocabulary codes
    (``["qr", "faces"]``, published by the detector that owns each code) or full finding dicts; ``screening`` goes
    to ``record_screening`` (quality_score, tags, ocr_text, cluster_id, cluster_best) as the steps publish it.
    """
    from service.core.storage import get_storage
    from service.db.asset import Asset, AssetKind, AssetStatus, Rendition
    from service.db.review_index import record_screening, sync_review_row

    with session_scope() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        asset_id = uuid.uuid4()
        asset = Asset(id=asset_id, submission_id=submission_id, org_id=submission.org_id,
                      campaign_id=submission.campaign_id, kind=AssetKind(kind), status=AssetStatus.ready,
                      original_key=f"originals/test/{asset_id}/{filename}", original_filename=filename, size=1234,
                      mime="image/jpeg" if kind == "image" else "video/mp4", sha256=uuid.uuid4().hex * 2,
                      caption=caption, probe=probe or {}, width=64, height=48, ready_at=datetime.now(UTC))
        session.add(asset)
        session.flush()
        if with_thumb:
            color = tuple(asset_id.bytes[i] % 200 for i in range(3))
            for name, size in (("thumb", (320, 200)), ("preview", (960, 600))):
                data = tiny_jpeg(color, size)  # type: ignore[arg-type]
                key = f"derived/{asset_id}/{name}.jpg"
                get_storage().put_bytes(key, data, "image/jpeg")
                session.add(Rendition(asset_id=asset_id, name=name, key=key, mime="image/jpeg", width=size[0],
                                      height=size[1], size=len(data)))
        sync_review_row(session, asset_id)
        if findings is not None:
            screening["findings"] = [published(f) if isinstance(f, str) else f for f in findings]
        if screening:
            record_screening(session, asset_id, **screening)  # type: ignore[arg-type]
        return asset_id


def published(code: str, score: float = 0.9, **detail: object) -> dict[str, object]:
    """A finding as the screening publishes it: a vocabulary code (unknown codes raise) and its detector's name."""
    from service.db.screening import finding_summary
    from workers.screening import DETECTORS

    owners = {c: d.name for d in DETECTORS for c in d.codes}
    return finding_summary(owners.get(code, "dedupe" if code == "duplicate" else "metadata"), code, score, detail)


def make_released_asset(
    submitter: Actor,
    campaign_id: uuid.UUID,
    *,
    kind: str = "image",
    title: str = "开放校园：技能展示",
    caption: str = "学生在实训基地展示数控加工技能",
    credit: str = "济南职业学院宣传部",
    place: str = "山东省济南市",
    activity_date: date | None = date(2023, 5, 15),
    theme_tags: tuple[str, ...] = ("产教融合",),
    original_filename: str = "IMG_0001.jpg",
    renditions: tuple[str, ...] = ("web",),
    review_status: str = "featured",
    region_code: str | None = None,
) -> uuid.UUID:
    """A processed asset (real bytes in S3, Asset + Rendition rows) as the pipeline and an editor would leave it.

    Stands in for the derive step (branch ``workers``): renditions are copies of the original under
    ``derived/{asset_id}/{name}.{ext}``.
    """
    from service.core.storage import get_storage
    from service.db.asset import Asset, AssetKind, AssetStatus, Rendition, ReviewStatus
    from tests.media import jpeg_bytes, mp4_bytes

    data, mime, ext = (jpeg_bytes(), "image/jpeg", "jpg") if kind == "image" else (mp4_bytes(), "video/mp4", "mp4")
    asset_id = uuid.uuid4()
    storage = get_storage()
    original_key = f"originals/{campaign_id}/{submitter.org_id}/{asset_id}/original.{ext}"
    storage.put_bytes(original_key, data, mime)
    with session_scope() as session:
        submission = Submission(campaign_id=campaign_id, org_id=submitter.org_id, created_by=submitter.user_id,
                                title=title, category="activity_photos", place=place, activity_date=activity_date,
                                theme_tags=list(theme_tags), credits=credit, consent=True,
                                region_code=region_code)
        session.add(submission)
        session.flush()
        asset = Asset(id=asset_id, submission_id=submission.id, org_id=submitter.org_id, campaign_id=campaign_id,
                      uploaded_by=submitter.user_id, kind=AssetKind(kind), status=AssetStatus.ready,
                      original_key=original_key, original_filename=original_filename, size=len(data), mime=mime,
                      width=320, height=240, duration=1.0 if kind == "video" else None,
                      review_status=ReviewStatus(review_status), caption=caption, credit=credit,
                      ready_at=datetime.now(UTC))
        session.add(asset)
        for name in renditions:
            key = f"derived/{asset_id}/{name}.{ext}"
            storage.put_bytes(key, data, mime)
            session.add(Rendition(asset_id=asset_id, name=name, key=key, mime=mime, width=320, height=240,
                                  size=len(data)))
    return asset_id


def make_probed_asset(actor: Actor, campaign_id: uuid.UUID, submission_id: uuid.UUID, data: bytes, *,
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
