"""Delivered originals keep caption and credit but lose GPS, serials and other camera EXIF (real portal, real ZIP)."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

import httpx
from fastapi.testclient import TestClient
from PIL import Image, IptcImagePlugin

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from tests.integration.portal_support import Desk, desk, release, released_asset
from tests.integration.test_portal_downloads import fetch
from tests.integration.test_portal_packages import ready_package
from tests.support import ChildProcess

GPS_IFD, MAKE, BODY_SERIAL, LENS_SERIAL, ORIENTATION, EXIF_IFD = 0x8825, 0x010F, 0xA431, 0xA435, 0x0112, 0x8769


def camera_jpeg(*, size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A photo as a phone writes it: GPS position, body and lens serials, maker, orientation, a comment."""
    exif = Image.Exif()
    exif[MAKE] = "Canon"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (36.0, 40.0, 12.5), 3: "E", 4: (117.0, 0.0, 30.25)}
    exif[EXIF_IFD] = {BODY_SERIAL: "SN-0042-PRIVATE", LENS_SERIAL: "LENS-777"}
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    extra: dict[str, Any] = {"comment": b"owner: Zhang San"} if fmt == "JPEG" else {}
    image.save(out, fmt, exif=exif.tobytes(), quality=90, **extra)
    return out.getvalue()


def assert_private(data: bytes) -> None:
    for secret in (b"SN-0042-PRIVATE", b"LENS-777", b"Canon"):
        assert secret not in data
    assert b"Zhang San" not in data
    image = Image.open(io.BytesIO(data))
    image.load()
    exif = image.getexif()
    assert not exif.get_ifd(GPS_IFD)
    assert not exif.get_ifd(EXIF_IFD)
    assert MAKE not in exif


def image_data(jpeg: bytes) -> bytes:
    """Everything from the first non-APP, non-COM segment on: quantisation tables, frame, entropy-coded data."""
    pos = 2
    while jpeg[pos + 1] in range(0xE0, 0xF0) or jpeg[pos + 1] == 0xFE:
        pos += 2 + int.from_bytes(jpeg[pos + 2:pos + 4], "big")
    return jpeg[pos:]


def with_original(d: Desk, data: bytes, mime: str, ext: str) -> uuid.UUID:
    asset_id = released_asset(d, original_filename=f"IMG_0042.{ext}")
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.original_key = asset.original_key.rsplit(".", 1)[0] + f".{ext}"
        asset.mime, asset.size = mime, len(data)
        get_storage().put_bytes(asset.original_key, data, mime)
    return asset_id


def test_portal_download_of_an_original_has_no_gps_or_serials(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    original = camera_jpeg()
    asset = with_original(d, original, "image/jpeg", "jpg")
    release(client, d.editor, [asset])
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/original", d.outlet.headers)
    assert response.status_code == 307
    delivered = httpx.get(response.headers["location"], timeout=30).content
    assert_private(delivered)
    image = Image.open(io.BytesIO(delivered))
    assert image.getexif()[ORIENTATION] == 6  # still shown upright
    info = IptcImagePlugin.getiptcinfo(image) or {}
    assert info[(2, 110)].decode() == "济南职业学院宣传部"
    assert "职业教育活动周" in info[(2, 116)].decode()
    assert image_data(delivered) == image_data(original)  # lossless: the compressed image is copied byte for byte
    assert Image.open(io.BytesIO(delivered)).tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_package_members_have_no_gps_or_serials(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    jpeg = camera_jpeg()
    photo = with_original(d, jpeg, "image/jpeg", "jpg")
    tiff = with_original(d, camera_jpeg(fmt="TIFF"), "image/tiff", "tif")
    png = with_original(d, camera_jpeg(fmt="PNG"), "image/png", "png")
    release(client, d.editor, [photo, tiff, png])
    state = ready_package(client, d, {"asset_ids": [str(photo), str(tiff), str(png)], "rendition": "original"})
    redirect = client.get(state["download_url"], follow_redirects=False)
    assert redirect.status_code == 307, redirect.text
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(redirect.headers["location"], timeout=60).content))
    members = {name: archive.read(name) for name in archive.namelist() if not name.endswith((".csv", ".json"))}
    assert len(members) == 3, list(members)
    for data in members.values():
        assert_private(data)
    jpegs = [data for data in members.values() if data.startswith(b"\xff\xd8")]
    assert len(jpegs) == 2  # the JPEG, and the TIFF delivered as a tagged JPEG
    assert any(image_data(data) == image_data(jpeg) for data in jpegs)
    for data in jpegs:
        assert (IptcImagePlugin.getiptcinfo(Image.open(io.BytesIO(data))) or {})[(2, 110)]
    pngs = [data for data in members.values() if data.startswith(b"\x89PNG")]
    assert len(pngs) == 1
    source = Image.open(io.BytesIO(camera_jpeg(fmt="PNG")))
    assert Image.open(io.BytesIO(pngs[0])).tobytes() == source.tobytes()


def test_a_release_can_keep_the_location_on_purpose(client: TestClient, worker: ChildProcess) -> None:
    d = desk()
    asset = with_original(d, camera_jpeg(), "image/jpeg", "jpg")
    collection = release(client, d.editor, [asset], keep_location=True)
    assert collection["keep_location"] is True
    assert collection["keep_location_by"] == str(d.editor.user_id)  # who decided, and when, stays on record
    assert collection["keep_location_at"]
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/original", d.outlet.headers)
    delivered = httpx.get(response.headers["location"], timeout=30).content
    exif = Image.open(io.BytesIO(delivered)).getexif()
    assert exif.get_ifd(GPS_IFD)[1] == "N"
    assert b"SN-0042-PRIVATE" not in delivered  # the serials still go
    state = ready_package(client, d, {"collection_id": collection["id"], "rendition": "original"})
    redirect = client.get(state["download_url"], follow_redirects=False)
    archive = zipfile.ZipFile(io.BytesIO(httpx.get(redirect.headers["location"], timeout=60).content))
    photo = next(archive.read(n) for n in archive.namelist() if n.endswith(".jpg"))
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(GPS_IFD)
    # the editor changes their mind: the next download is stripped again
    patched = client.patch(f"/api/v1/collections/{collection['id']}", json={"keep_location": False},
                           headers=d.editor.headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["keep_location"] is False
    response = fetch(client, f"/api/v1/portal/assets/{asset}/renditions/original", d.outlet.headers)
    assert_private(httpx.get(response.headers["location"], timeout=30).content)
