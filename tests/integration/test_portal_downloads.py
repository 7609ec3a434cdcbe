"""Single downloads: caption and credit inside the delivered JPEG/MP4, short-lived URLs, audit, rate limit."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image, IptcImagePlugin
from sqlalchemy import func, select

from service.core.config import Settings
from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.portal import DeliveryFile, Download
from tests.integration.portal_support import desk, release, released_asset
from tests.support import ChildProcess, wait_until


def fetch(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    """Ask for a download until the tagged copy is ready (202 → 307), as a download client would."""

    def attempt() -> httpx.Response | None:
        response = client.get(path, headers=headers, params=params, follow_redirects=False)
        assert response.status_code in (200, 202, 307), response.text
        return None if response.status_code == 202 else response

    return wait_until(attempt, timeout=120, interval=0.5, message=f"{path} to be delivered")  # type: ignore[no-any-return]


def iptc(data: bytes) -> dict[tuple[int, int], Any]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return IptcImagePlugin.getiptcinfo(image) or {}


def test_jpeg_download_carries_iptc_and_xmp_and_is_audited(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    asset = released_asset(d, caption="学生在实训基地展示数控加工技能 <script>alert(1)</script>")
    release(client, d.editor, [asset])
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/web", d.outlet.headers)
    assert response.status_code == 307
    assert response.headers["cache-control"] == "no-store"
    url = response.headers["location"]
    assert "X-Amz-Signature" in url
    assert "X-Amz-Expires=60" in url
    delivered = httpx.get(url, timeout=30)
    assert delivered.status_code == 200
    assert "attachment" in delivered.headers["content-disposition"]
    info = iptc(delivered.content)
    assert info[(2, 120)].decode() == "学生在实训基地展示数控加工技能 <script>alert(1)</script>"
    assert info[(2, 110)].decode() == "济南职业学院宣传部"
    assert info[(2, 55)] == b"20230515"
    assert info[(2, 90)].decode() == "山东省济南市"
    assert "职业教育活动周" in info[(2, 116)].decode()
    xmp = Image.open(io.BytesIO(delivered.content)).info["xmp"].decode()
    assert "<photoshop:Credit>济南职业学院宣传部</photoshop:Credit>" in xmp
    assert "&lt;script&gt;" in xmp  # escaped, the packet stays well-formed
    if shutil.which("exiftool"):
        with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
            f.write(delivered.content)
            f.flush()
            out = subprocess.run(["exiftool", "-s3", "-IPTC:Credit", f.name], capture_output=True, text=True)
            assert out.stdout.strip() == "济南职业学院宣传部"
    audit = client.get("/api/v1/downloads", params={"asset_id": str(asset)}, headers=d.editor.headers).json()
    assert [(a["username"], a["rendition"], a["org_id"]) for a in audit] == [
        (d.outlet.username, "web", str(d.outlet.org_id))]
    assert audit[0]["ip"]
    usage = client.get("/api/v1/downloads/usage", headers=d.editor.headers).json()
    mine = next(u for u in usage if u["org_id"] == str(d.outlet.org_id))
    assert (mine["files"], mine["assets"], mine["users"]) == (1, 1, 1)


def test_caption_change_rebuilds_the_copy(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    asset = released_asset(d)
    release(client, d.editor, [asset])
    fetch(client, f"/api/v1/portal/assets/{asset}/renditions/original", d.outlet.headers)
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        row.caption = "更正后的图片说明"
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/original", d.outlet.headers, stream="true")
    assert response.status_code == 200  # streamed through the API this time
    assert iptc(response.content)[(2, 120)].decode() == "更正后的图片说明"
    with session_scope() as session:
        rows = session.scalar(select(func.count()).select_from(DeliveryFile)
                              .where(DeliveryFile.asset_id == asset, DeliveryFile.rendition == "original"))
        assert rows == 1


def test_mp4_download_carries_metadata(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    asset = released_asset(d, kind="video", caption="技能大赛决赛现场", renditions=("broadcast_1080p",))
    release(client, d.editor, [asset])
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/broadcast_1080p", d.outlet.headers)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "clip.mp4"
        path.write_bytes(httpx.get(response.headers["location"], timeout=30).content)
        with av.open(str(path)) as container:
            tags = dict(container.metadata)
            assert container.streams.video  # still a playable video
    assert tags["title"] == "开放校园：技能展示"
    assert tags["description"] == "技能大赛决赛现场"
    assert tags["artist"] == "济南职业学院宣传部"
    assert tags["date"] == "2023-05-15"
    assert "职业教育活动周" in tags["copyright"]


def test_unknown_rendition_and_foreign_asset(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    release(client, d.editor, [asset])
    missing = client.get(f"/api/v1/portal/assets/{asset}/renditions/broadcast_1080p", headers=d.outlet.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "rendition_not_found"
    assert client.get(f"/api/v1/portal/assets/{uuid.uuid4()}/renditions/web",
                      headers=d.outlet.headers).status_code == 404
    unreleased = released_asset(d)
    assert client.get(f"/api/v1/portal/assets/{unreleased}/renditions/original",
                      headers=d.outlet.headers).status_code == 404


def test_presigned_url_tampered_or_expired_is_refused(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    storage = get_storage()
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        key = row.original_key
    url = storage.presigned_get(key, ttl_seconds=300)
    assert httpx.get(url, timeout=30).status_code == 200
    other = url.replace("/original.jpg", "/other.jpg")
    assert httpx.get(other, timeout=30).status_code == 403  # signature covers the key
    longer = url.replace("X-Amz-Expires=300", "X-Amz-Expires=86400")
    assert httpx.get(longer, timeout=30).status_code == 403  # and the lifetime
    short = storage.presigned_get(key, ttl_seconds=1)
    time.sleep(2.5)
    assert httpx.get(short, timeout=30).status_code == 403


def test_download_rate_limit_per_user(client: TestClient, worker: ChildProcess, settings: Settings,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    d = desk()
    asset = released_asset(d)
    release(client, d.editor, [asset])
    path = f"/api/v1/portal/assets/{asset}/renditions/web"
    fetch(client, path, d.outlet.headers)  # 1st download (counts)
    monkeypatch.setattr(settings, "portal_downloads_per_minute", 2)
    client.get(path, headers=d.outlet.headers, follow_redirects=False)
    refused = client.get(path, headers=d.outlet.headers, follow_redirects=False)
    if refused.status_code != 429:  # the minute window rolled over between requests: one more try
        client.get(path, headers=d.outlet.headers, follow_redirects=False)
        refused = client.get(path, headers=d.outlet.headers, follow_redirects=False)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert client.get(path, headers=d.other_outlet.headers, follow_redirects=False).status_code in (202, 307)
    with session_scope() as session:
        count = session.scalar(select(func.count()).select_from(Download).where(Download.asset_id == asset,
                                                                                Download.user_id == d.outlet.user_id))
    assert count is not None
    assert count <= 3


def test_deliver_task_is_idempotent(client: TestClient) -> None:
    from workers.packages import deliver

    d = desk()
    asset = released_asset(d)
    first = deliver.apply(args=[str(asset), "web"]).get()
    second = deliver.apply(args=[str(asset), "web"]).get()
    assert first == second == f"delivery/{asset}/web.jpg"
    assert get_storage().list_keys(f"delivery/{asset}/") == [f"delivery/{asset}/web.jpg"]
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryFile)
                              .where(DeliveryFile.asset_id == asset)) == 1
    assert deliver.apply(args=[str(asset), "nope"]).get() is None


def test_delivery_copy_records_its_crc_and_rows_without_one_are_remade(client: TestClient) -> None:
    """A package copies members server-side trusting this CRC-32, so it must be the stored bytes' own."""
    import zlib

    from sqlalchemy import update

    from workers.packages import deliver

    d = desk()
    asset = released_asset(d)
    key = deliver.apply(args=[str(asset), "web"]).get()
    with session_scope() as session:
        row = session.scalar(select(DeliveryFile).where(DeliveryFile.asset_id == asset))
        assert row is not None
        assert row.crc32 == zlib.crc32(get_storage().get_bytes(key))
        # A row from before the CRC was kept: the next request remakes the copy and fills it in.
        session.execute(update(DeliveryFile).where(DeliveryFile.id == row.id).values(crc32=None))
    assert deliver.apply(args=[str(asset), "web"]).get() == key
    with session_scope() as session:
        remade = session.scalar(select(DeliveryFile.crc32).where(DeliveryFile.asset_id == asset))
    assert remade == zlib.crc32(get_storage().get_bytes(key))
