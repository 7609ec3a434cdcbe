"""Takedown: withdrawn everywhere at once, links dead, packages rebuilt without it, then purged from S3 and the DB."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.screening import Finding
from service.db.takedown import Takedown
from tests.integration.portal_support import Desk, desk, release, released_asset
from tests.integration.test_portal_downloads import fetch
from tests.integration.test_portal_packages import ready_package
from tests.support import ChildProcess, wait_until


def traces(asset_id: uuid.UUID) -> dict[str, int]:
    """Rows in any table whose text mentions the asset id, and S3 keys that do. The takedown records and the
    append-only audit log are left out: they keep ids (never content) on purpose."""
    found: dict[str, int] = {}
    with session_scope() as session:
        tables = session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                      "AND tablename NOT IN ('takedown', 'audit_log', 'alembic_version')")).all()
        for table in tables:
            count = session.scalar(text(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE :id'),
                                   {"id": f"%{asset_id}%"})
            if count:
                found[table] = int(count)
    keys = [k for k in get_storage().list_keys("") if str(asset_id) in k]
    if keys:
        found["s3"] = len(keys)
    return found


def package_assets(client: TestClient, d: Desk, state: dict[str, Any]) -> set[str]:
    redirect = client.get(state["download_url"], follow_redirects=False)
    assert redirect.status_code == 307, redirect.text
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(redirect.headers["location"], timeout=60).content))
    rows = csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig")))
    return {row["asset_id"] for row in rows}


def take_down(client: TestClient, d: Desk, asset: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/assets/{asset}/takedown", json={"reason": "监护人撤回同意", **body},
                           headers=d.editor.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def due_now(takedown_id: str) -> None:
    with session_scope() as session:
        session.execute(update(Takedown).where(Takedown.id == uuid.UUID(takedown_id))
                        .values(purge_after=datetime.now(UTC) - timedelta(seconds=1)))


def test_takedown_withdraws_at_once_and_purge_leaves_nothing(client: TestClient, worker: ChildProcess) -> None:
    from workers.purge import sweep_takedowns

    d = desk()
    gone, kept = released_asset(d, renditions=("web", "thumb")), released_asset(d)
    collection = release(client, d.editor, [gone, kept])
    with session_scope() as session:  # screening text (OCR) that must go with it
        session.add(Finding(asset_id=gone, detector="text", label="phone", score=0.9,
                            detail={"text": "张三 学号 13812345678", "source": "ocr"}))
    link = fetch(client, f"/api/v1/portal/assets/{gone}/renditions/original", d.outlet.headers)
    url = link.headers["location"]
    assert httpx.get(url, timeout=30).status_code == 200
    package = ready_package(client, d, {"collection_id": collection["id"], "rendition": "original"})
    assert package_assets(client, d, package) == {str(gone), str(kept)}

    record = take_down(client, d, gone)
    assert record["status"] == "taken_down"
    assert record["summary"]["collections_withdrawn"] == 1
    assert record["summary"]["packages_rebuilt"] == 1
    # at once: the portal refuses it, the presigned URL handed out a moment ago is dead, the collection lost it
    again = client.get(f"/api/v1/portal/assets/{gone}/renditions/original", headers=d.outlet.headers,
                       follow_redirects=False)
    assert again.status_code == 404
    assert httpx.get(url, timeout=30).status_code == 404
    items = client.get(f"/api/v1/collections/{collection['id']}", headers=d.editor.headers).json()
    assert str(gone) not in str(items)
    assert str(kept) in str(items)
    # the package is rebuilt without it
    rebuilt = wait_until(lambda: (s := client.get(f"/api/v1/portal/packages/{package['id']}",
                                                   headers=d.outlet.headers).json())["status"] == "ready" and s,
                         timeout=180, interval=0.5, message="package to be rebuilt")
    assert package_assets(client, d, rebuilt) == {str(kept)}
    assert client.post(f"/api/v1/assets/{gone}/takedown", json={"reason": "x"},
                       headers=d.editor.headers).status_code == 409
    # featured again by mistake and put in a release: still refused while the takedown stands
    with session_scope() as session:
        session.execute(update(Asset).where(Asset.id == gone).values(review_status="featured"))
    release(client, d.editor, [gone])
    assert client.get(f"/api/v1/portal/assets/{gone}/renditions/original", headers=d.outlet.headers,
                      follow_redirects=False).status_code == 404

    assert traces(gone)  # the grace period: bytes and text still there, nothing purged yet
    assert sweep_takedowns() == 0
    due_now(record["id"])
    assert sweep_takedowns() >= 1
    assert traces(gone) == {}
    assert traces(kept)  # the other asset is untouched
    with session_scope() as session:
        takedown = session.get(Takedown, uuid.UUID(record["id"]))
        assert takedown is not None
        assert takedown.status == "purged"
        assert takedown.summary["asset_rows"] == 1
        assert takedown.summary["submission_deleted"] is True  # its only file: title and description go too
        assert takedown.summary["objects"] >= 3  # original, web, thumb
        assert "学号" not in str(takedown.summary)
    listed = client.get("/api/v1/takedowns", params={"status": "purged"}, headers=d.editor.headers).json()
    assert record["id"] in {row["id"] for row in listed}


def test_submitter_request_legal_hold_and_roles(client: TestClient) -> None:
    from workers.purge import sweep_takedowns

    d = desk()
    asset = released_asset(d)
    assert client.post(f"/api/v1/assets/{asset}/takedown", json={"reason": "x"},
                       headers=d.outlet.headers).status_code == 403
    assert client.post(f"/api/v1/assets/{asset}/takedown", json={"reason": "x"},
                       headers=d.submitter.headers).status_code == 403
    assert client.post(f"/api/v1/assets/{asset}/takedown", json={}, headers=d.editor.headers).status_code == 422
    asked = client.post(f"/api/v1/assets/{asset}/takedown-request", json={"reason": "家长要求删除"},
                        headers=d.submitter.headers)
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "requested"
    pending = client.get("/api/v1/takedowns", params={"status": "requested"}, headers=d.editor.headers).json()
    assert asked.json()["id"] in {row["id"] for row in pending}
    record = take_down(client, d, asset, legal_hold=True)
    assert record["id"] == asked.json()["id"]  # the editor acted on the request
    assert "家长要求删除" in record["reason"]
    due_now(record["id"])
    sweep_takedowns()
    with session_scope() as session:
        assert session.get(Asset, asset) is not None  # the legal hold stops the purge
    lifted = client.patch(f"/api/v1/takedowns/{record['id']}", json={"legal_hold": False}, headers=d.editor.headers)
    assert lifted.status_code == 200, lifted.text
    assert sweep_takedowns() >= 1
    with session_scope() as session:
        assert session.get(Asset, asset) is None
        assert session.scalar(select(Takedown.status).where(Takedown.id == uuid.UUID(record["id"]))) == "purged"
    assert traces(asset) == {}


def test_the_purge_sweep_is_beat_scheduled_on_the_default_queue() -> None:
    from workers.celery_app import app

    entry = app.conf.beat_schedule["purge-takedowns"]
    assert entry["task"] == "purge.sweep_takedowns"
    assert entry["options"]["queue"] == "default"
    app.loader.import_default_modules()
    assert "purge.sweep_takedowns" in app.tasks
