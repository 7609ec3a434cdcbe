"""The untouched original of a PNG/HEIC/TIFF on explicit request: only through a release whose editor enabled it
(recorded and audited); JPEGs and every other release keep getting the tagged copy only."""

from __future__ import annotations

import io
import uuid

import httpx
from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin
from sqlalchemy import select

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.portal import Download
from tests.integration.portal_support import desk, release, released_asset


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "拍摄者 张三")
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_png(asset_id: uuid.UUID) -> bytes:
    data = png_with_text()
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        get_storage().put_bytes(asset.original_key, data, "image/png")
        asset.mime, asset.size = "image/png", len(data)
    return data


def test_untouched_original_only_where_the_editor_enabled_it(client: TestClient) -> None:
    d = desk()
    png, jpeg = released_asset(d, original_filename="scan.png"), released_asset(d)
    original = make_png(png)
    collection = release(client, d.editor, [png, jpeg])
    assert collection["deliver_untouched"] is False
    url = f"/api/v1/portal/assets/{png}/renditions/untouched"
    listed = client.get(f"/api/v1/portal/assets/{png}", headers=d.outlet.headers).json()
    assert "untouched" not in {r["name"] for r in listed["renditions"]}
    refused = client.get(url, headers=d.outlet.headers, follow_redirects=False)
    assert refused.status_code == 404
    assert refused.json()["code"] == "rendition_not_found"

    enabled = client.patch(f"/api/v1/collections/{collection['id']}", json={"deliver_untouched": True},
                           headers=d.editor.headers)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["deliver_untouched"] is True
    assert enabled.json()["deliver_untouched_by"] == str(d.editor.user_id)
    listed = client.get(f"/api/v1/portal/assets/{png}", headers=d.outlet.headers).json()
    assert {r["name"]: r["download_url"] for r in listed["renditions"]}["untouched"] == url
    got = client.get(url, headers=d.outlet.headers, follow_redirects=False)
    assert got.status_code == 307, got.text
    assert httpx.get(got.headers["location"], timeout=30).content == original  # byte for byte, text chunk and all
    assert client.get(f"/api/v1/portal/assets/{jpeg}/renditions/untouched", headers=d.outlet.headers,
                      follow_redirects=False).status_code == 404  # a JPEG is delivered tagged, never untouched
    with session_scope() as session:
        assert session.scalar(select(Download.rendition).where(Download.asset_id == png)) == "untouched"
        actions = session.scalars(select(AuditLog.action).where(
            AuditLog.target_id == uuid.UUID(collection["id"]), AuditLog.action.like("collection.deliver%"))).all()
        assert list(actions) == ["collection.deliver_untouched"]
    # another release of the same file without the switch does not open it to its own audience
    client.patch(f"/api/v1/collections/{collection['id']}", json={"deliver_untouched": False},
                 headers=d.editor.headers)
    release(client, d.editor, [png])
    assert client.get(url, headers=d.outlet.headers, follow_redirects=False).status_code == 404


def test_keep_location_is_audited(client: TestClient) -> None:
    d = desk()
    collection = release(client, d.editor, [released_asset(d)])
    for keep in (True, True, False):
        response = client.patch(f"/api/v1/collections/{collection['id']}", json={"keep_location": keep},
                                headers=d.editor.headers)
        assert response.status_code == 200
    with session_scope() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.target_id == uuid.UUID(collection["id"]),
                                                     AuditLog.action == "collection.keep_location")
                               .order_by(AuditLog.at, AuditLog.id)).all()
        assert [(r.action, r.detail["keep_location"]) for r in rows] == [("collection.keep_location", True),
                                                                        ("collection.keep_location", False)]
        assert rows[0].actor_id == d.editor.user_id
