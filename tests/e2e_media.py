"""Push a folder of real media through a running instance and print each file's final status and reason.

    make e2e-media DIR=../shared/media            # or: python -m tests.e2e_media --data .mediadesk DIR

Against ``mediadesk up --data DATA`` (reads DATA/run/endpoints.json and its ``api_url``). Seeds the demo users
(``python -m service.cli demo seed``), creates an "e2e-media" campaign with permissive limits (so tiny sample photos
are judged on content, not size), a submission through the API, then uploads every file under DIR (recursively):
through tus at ``/api/v1/uploads`` when the instance has it, else by writing the original to S3 and queueing the
pipeline directly (what the tests do). ``--save DIR`` keeps each ready asset's thumb/poster for a visual check.
Not part of the suite (it reads files outside the repository).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

TERMINAL = {"ready", "rejected_invalid", "failed"}


def seed(data: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "service.cli", "demo", "seed", "--data", str(data)],
                         capture_output=True, text=True, check=True, timeout=120)
    seeded: dict[str, object] = json.loads(out.stdout[out.stdout.index("{"):])
    return seeded


def permissive_campaign() -> uuid.UUID:
    from service.admin import service as admin
    from service.core.db import session_scope

    now = datetime.now(UTC)
    with session_scope() as session:
        campaign = admin.create_campaign(
            session, year=now.year, name=f"e2e-media {now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}", theme="e2e",
            week_start=date.today(), week_end=date.today() + timedelta(days=6),
            upload_opens_at=now - timedelta(days=1), upload_closes_at=now + timedelta(days=7))
        campaign.min_image_pixels, campaign.min_video_height, campaign.min_video_seconds = 64 * 64, 120, 0.5
        return campaign.id


def upload_tus(api: str, headers: dict[str, str], submission: str, path: Path) -> bool:
    """Upload through tus; False when the instance has no tus endpoint yet."""
    from tusclient import client as tus

    probe = httpx.options(f"{api}/api/v1/uploads", headers=headers, timeout=10)
    if probe.status_code in (404, 405) or "Tus-Version" not in probe.headers:
        return False
    uploader = tus.TusClient(f"{api}/api/v1/uploads", headers=headers).uploader(
        file_path=str(path), chunk_size=8 * 1024 * 1024,
        metadata={"submission_id": submission, "filename": path.name})
    uploader.upload()
    return True


def insert_direct(seeded: dict[str, object], campaign: uuid.UUID, submission: str, path: Path) -> uuid.UUID:
    from sqlalchemy import select

    from service.core.db import session_scope
    from service.core.storage import get_storage
    from service.core.tasks import queue_step
    from service.db.asset import Asset, AssetStatus
    from service.db.submission import Submission

    data = path.read_bytes()
    asset_id = uuid.uuid4()
    with session_scope() as session:
        sub = session.scalar(select(Submission).where(Submission.id == uuid.UUID(submission)))
        assert sub is not None
        key = f"originals/{campaign}/{sub.org_id}/{asset_id}/{path.name}"
        get_storage().put_bytes(key, data)
        session.add(Asset(id=asset_id, submission_id=sub.id, org_id=sub.org_id, campaign_id=campaign,
                          uploaded_by=sub.created_by, status=AssetStatus.stored, original_key=key,
                          original_filename=path.name, size=len(data), sha256=hashlib.sha256(data).hexdigest()))
        session.flush()
        queue_step(session, asset_id, "probe")  # sha256 is computed above, so the verify step is not needed
    return asset_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(".mediadesk"))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--save", type=Path, help="folder for each ready asset's thumb (photo) or poster (video)")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()

    from service.cli.context import use_data_dir

    use_data_dir(args.data)
    endpoints = json.loads((args.data / "run" / "endpoints.json").read_text())
    api = endpoints["api_url"]
    seeded = seed(args.data)
    tokens: dict[str, str] = seeded["tokens"]  # type: ignore[assignment]
    submitter = {"Authorization": f"Bearer {tokens['submitter']}"}
    campaign = permissive_campaign()
    created = httpx.post(f"{api}/api/v1/submissions", headers=submitter, timeout=30, json={
        "campaign_id": str(campaign), "title": "e2e-media 真实素材", "category": "activity_photos", "consent": True})
    created.raise_for_status()
    submission = created.json()["id"]

    files = sorted(p for p in args.folder.rglob("*") if p.is_file() and p.suffix.lower() not in (".md", ".tsv"))
    ids: dict[Path, uuid.UUID | None] = {}
    for path in files:
        ids[path] = None if upload_tus(api, submitter, submission, path) else insert_direct(
            seeded, campaign, submission, path)
    with httpx.Client(base_url=api, headers=submitter, timeout=30) as http:
        if any(v is None for v in ids.values()):  # tus: find the assets by file name within the submission
            listed = http.get("/api/v1/assets", params={"submission_id": submission, "limit": 500}).json()["items"]
            by_name = {item["original_filename"]: uuid.UUID(item["id"]) for item in listed}
            ids = {path: asset or by_name.get(path.name) for path, asset in ids.items()}
        results = wait(http, ids, args.timeout)
        if args.save:
            save_previews(http, results, args.save)
    width = max(len(str(p.relative_to(args.folder))) for p in files)
    counts: dict[str, int] = {}
    for path in files:
        body = results.get(path, {})
        status = str(body.get("status", "missing"))
        counts[status] = counts.get(status, 0) + 1
        size = f"{body.get('width')}x{body.get('height')}" if body.get("width") else "-"
        reason = (body.get("reason") or {}).get("detail", "") if isinstance(body.get("reason"), dict) else ""
        code = (body.get("reason") or {}).get("code", "") if isinstance(body.get("reason"), dict) else ""
        print(f"{str(path.relative_to(args.folder)):<{width}}  {status:<16} {body.get('kind') or '-':<5} "  # noqa: T201
              f"{size:<10} {code:<20} {reason}")
    print(json.dumps(counts, ensure_ascii=False))  # noqa: T201
    return 0


def wait(http: httpx.Client, ids: dict[Path, uuid.UUID | None], timeout: float) -> dict[Path, dict[str, object]]:
    deadline = time.monotonic() + timeout
    results: dict[Path, dict[str, object]] = {}
    while time.monotonic() < deadline:
        for path, asset in ids.items():
            if asset is not None and results.get(path, {}).get("status") not in TERMINAL:
                results[path] = http.get(f"/api/v1/assets/{asset}").json()
        if all(r.get("status") in TERMINAL for r in results.values()) and len(results) == len(ids):
            break
        time.sleep(2)
    return results


def save_previews(http: httpx.Client, results: dict[Path, dict[str, object]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path, body in results.items():
        if body.get("status") != "ready":
            continue
        name = "poster" if body.get("kind") == "video" else "thumb"
        response = http.get(f"/api/v1/assets/{body['id']}/renditions/{name}", params={"stream": 1})
        if response.status_code == 200:
            (folder / f"{path.stem}-{name}.jpg").write_bytes(response.content)


if __name__ == "__main__":
    raise SystemExit(main())
