"""ZIP packages: built by a worker, safe member names, captions sidecars, size limit, signed links, expiry."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from service.core.config import Settings
from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.portal import Download, Package, PackageStatus
from service.portal import links
from tests.integration.portal_support import Desk, desk, release, released_asset
from tests.support import ChildProcess, wait_until

NASTY_NAMES = ("../../etc/passwd.jpg", "C:\\Windows\\win.ini.jpg", "/abs/olute.jpg", "..")


def ready_package(client: TestClient, d: Desk, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/v1/portal/packages", json=body, headers=d.outlet.headers)
    assert response.status_code == 202, response.text
    package_id = response.json()["id"]

    def ready() -> dict[str, Any] | None:
        state: dict[str, Any] = client.get(f"/api/v1/portal/packages/{package_id}", headers=d.outlet.headers).json()
        assert state["status"] in ("queued", "building", "ready"), state
        return state if state["status"] == "ready" else None

    return wait_until(ready, timeout=180, interval=0.5, message="package to be built")  # type: ignore[no-any-return]


def test_collection_package_with_sidecars_and_safe_names(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    photos = [released_asset(d, original_filename=name, title=f"../技能/展示{i}", caption=f"说明{i}")
              for i, name in enumerate(NASTY_NAMES)]
    video = released_asset(d, kind="video", renditions=("broadcast_1080p",), caption="视频说明")
    collection = release(client, d.editor, [*photos, video])
    state = ready_package(client, d, {"collection_id": collection["id"], "rendition": "broadcast_1080p"})
    assert (state["done_items"], state["total_items"], state["progress"]) == (5, 5, 1.0)
    link = state["download_url"]
    redirect = client.get(link, follow_redirects=False)
    assert redirect.status_code == 307, redirect.text
    data = httpx.get(redirect.headers["location"], timeout=60).content
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == len(set(names)) == 7
    for name in names:
        assert not set(name) & set("/\\:"), name
        assert ".." not in name
        assert not name.startswith(".")
    assert archive.testzip() is None
    rows = list(csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))
    sidecar = json.loads(archive.read("captions.json"))
    assert rows == sidecar
    assert {r["file"] for r in rows} == set(names) - {"captions.csv", "captions.json"}
    by_asset = {r["asset_id"]: r for r in rows}
    assert by_asset[str(video)]["rendition"] == "broadcast_1080p"
    assert by_asset[str(photos[0])]["rendition"] == "original"  # photos have no broadcast rendition
    assert by_asset[str(photos[1])]["caption"] == "说明1"
    assert by_asset[str(video)]["credit"] == "济南职业学院宣传部"
    with session_scope() as session:
        recorded = session.scalar(select(func.count()).select_from(Download)
                                  .where(Download.package_id == uuid.UUID(state["id"]),
                                         Download.asset_id.is_not(None)))
    assert recorded == 5


def test_package_over_the_size_limit_is_refused_before_building(client: TestClient, settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    d = desk()
    assets = [released_asset(d), released_asset(d)]
    release(client, d.editor, assets)
    monkeypatch.setattr(settings, "portal_package_max_bytes", 10_000)
    response = client.post("/api/v1/portal/packages", json={"asset_ids": [str(a) for a in assets]},
                           headers=d.outlet.headers)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "package_too_large"
    assert body["limit_bytes"] == 10_000
    assert body["total_bytes"] > 10_000
    assert "打包内容过大" in body["detail"]
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Package).where(Package.user_id == d.outlet.user_id)) == 0


def test_package_of_unreleased_or_foreign_assets_is_refused(client: TestClient) -> None:
    d = desk()
    mine = released_asset(d)
    private = released_asset(d)
    release(client, d.editor, [mine])
    release(client, d.editor, [private], audience="named", outlet_ids=[str(d.other_outlet.org_id)])
    response = client.post("/api/v1/portal/packages", json={"asset_ids": [str(mine), str(private)]},
                           headers=d.outlet.headers)
    assert response.status_code == 404
    assert response.json()["asset_ids"] == [str(private)]


def _built(client: TestClient, d: Desk) -> tuple[dict[str, Any], uuid.UUID]:
    from workers.packages import build

    asset = released_asset(d)
    release(client, d.editor, [asset])
    response = client.post("/api/v1/portal/packages", json={"asset_ids": [str(asset)], "rendition": "web"},
                           headers=d.outlet.headers)
    package_id = uuid.UUID(response.json()["id"])
    build(package_id)  # in-process: the same function the worker task runs
    return client.get(f"/api/v1/portal/packages/{package_id}", headers=d.outlet.headers).json(), asset


def test_tampered_and_expired_package_links(client: TestClient) -> None:
    d = desk()
    state, _ = _built(client, d)
    link = state["download_url"]
    query = parse_qs(urlsplit(link).query)
    path = urlsplit(link).path
    assert client.get(link, follow_redirects=False).status_code == 307
    tampered = link.replace(query["sig"][0], "0" * 64)
    assert client.get(tampered, follow_redirects=False).json()["code"] == "link_invalid"
    longer = link.replace(f"exp={query['exp'][0]}", f"exp={int(query['exp'][0]) + 86400}")
    assert client.get(longer, follow_redirects=False).json()["code"] == "link_invalid"
    other_user = link.replace(query["uid"][0], str(d.other_outlet.user_id))
    assert client.get(other_user, follow_redirects=False).status_code == 403
    expired = links.sign(path, user_id=d.outlet.user_id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = client.get(expired, follow_redirects=False)
    assert response.status_code == 403
    assert response.json()["code"] == "link_expired"


def test_revocation_blocks_an_issued_package_link(client: TestClient) -> None:
    d = desk()
    state, _ = _built(client, d)
    link = state["download_url"]
    assert client.get(link, follow_redirects=False).status_code == 307
    revoked = client.post("/api/v1/revocations", json={"org_id": str(d.outlet.org_id)}, headers=d.editor.headers)
    assert revoked.status_code == 201
    refused = client.get(link, follow_redirects=False)
    assert refused.status_code == 403
    assert refused.json()["code"] == "access_revoked"


def test_build_is_idempotent_and_expiry_deletes_the_zip(client: TestClient) -> None:
    from workers.packages import build, expire_packages

    d = desk()
    state, _ = _built(client, d)
    package_id = uuid.UUID(state["id"])
    build(package_id)  # a redelivered message: nothing happens twice
    prefix = f"packages/{package_id}/"
    assert len(get_storage().list_keys(prefix)) == 1
    with session_scope() as session:
        package = session.get(Package, package_id)
        assert package is not None
        package.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    assert expire_packages() >= 1
    assert get_storage().list_keys(prefix) == []
    again = client.get(state["download_url"], follow_redirects=False)
    assert again.status_code in (403, 410)
    expire_packages()  # a second sweep leaves the expired row as it is
    with session_scope() as session:
        package = session.get(Package, package_id)
        assert package is not None
        assert package.status == PackageStatus.expired
