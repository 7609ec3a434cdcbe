"""Round two, what outlets and other organisations see (docs/SECURITY.md): released material frozen, formula-safe
CSV, no foreign ids, short download links, safe file names."""


from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Role
from tests.integration.portal_support import desk, release, released_asset
from tests.load.media import photo
from tests.security.probe_support import PASSWORD, _problem, _stored_submission, _submission_of
from tests.support import (
    ROOT,
    make_actor,
    make_asset,
    make_campaign,
    make_released_asset,
    web_login,
)

pytestmark = pytest.mark.security


# 1. released material is frozen --------------------------------------------------------------------------------------


def test_submitter_cannot_rewrite_released_material(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)  # featured by an editor
    release(client, d.editor, [asset])
    submission = _submission_of(asset)
    before = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()

    attack = client.patch(f"/api/v1/submissions/{submission}", headers=d.submitter.headers,
                          json={"title": "篡改后的标题", "description": "篡改后的说明", "credits": "@SUM(1+1)"})
    assert _problem(attack, 409)["code"] == "released_frozen"
    after = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()
    assert (after["headline"], after["caption"], after["credit"]) == \
        (before["headline"], before["caption"], before["credit"])
    assert _stored_submission(submission).title == before["headline"]  # what the next download's IPTC is made from

    # Fields outlets never see stay editable, and the desk can still correct what they do see.
    assert client.patch(f"/api/v1/submissions/{submission}", headers=d.submitter.headers,
                        json={"activity": "开放校园"}).status_code == 200
    fixed = client.patch(f"/api/v1/submissions/{submission}", headers=d.editor.headers,
                         json={"title": "编辑更正的标题"})
    assert fixed.status_code == 200, fixed.text
    assert client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()["headline"] == "编辑更正的标题"


def test_unreleased_material_stays_editable_and_the_web_form_refuses_too(servers: EmbeddedServers) -> None:
    from service.app import create_app

    submitter = make_actor(Role.submitter, password=PASSWORD)
    campaign = make_campaign()
    pending = _submission_of(make_released_asset(submitter, campaign, review_status="pending"))
    featured = _submission_of(make_released_asset(submitter, campaign, title="已精选的标题"))
    with TestClient(create_app(), client=("203.0.113.140", 40000)) as browser:
        token = web_login(browser, submitter.username, PASSWORD)
        form = {"csrf_token": token, "title": "新标题", "category": "activity_photos", "description": "新说明"}
        assert browser.post(f"/submissions/{pending}/edit", data=form, follow_redirects=False).status_code == 303
        refused = browser.post(f"/submissions/{featured}/edit", data=form, follow_redirects=False)
    assert refused.status_code == 409
    assert "冻结" in refused.text
    assert _stored_submission(pending).title == "新标题"
    assert _stored_submission(featured).title == "已精选的标题"


# 2. formula injection in packages ------------------------------------------------------------------------------------


def test_package_captions_csv_cannot_carry_formulas(client: TestClient) -> None:
    from service.core.storage import get_storage
    from service.db.portal import Package
    from workers.packages import build

    d = desk()
    asset = released_asset(d, title='=HYPERLINK("http://evil.example","点击")', caption="+cmd|' /C calc'!A0",
                           credit="@SUM(1+1)", place="-2+3")
    release(client, d.editor, [asset])
    response = client.post("/api/v1/portal/packages", json={"asset_ids": [str(asset)], "rendition": "web"},
                           headers=d.outlet.headers)
    package_id = uuid.UUID(response.json()["id"])
    build(package_id)  # in-process: the function the worker task runs
    with session_scope() as session:
        package = session.get(Package, package_id)
        assert package is not None
        assert package.key
        key = package.key
    archive = zipfile.ZipFile(io.BytesIO(get_storage().get_bytes(key)))
    rows = list(csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    for column in ("headline", "caption", "credit", "byline", "place"):
        assert row[column].startswith("'"), f"{column} would run as a formula: {row[column]!r}"
    assert row["headline"] == "'" + '=HYPERLINK("http://evil.example","点击")'


def test_every_csv_the_service_writes_uses_the_one_writer() -> None:
    from service.core.csvfile import csv_bytes
    from service.reports.export import to_csv as report_csv
    from service.review.dashboard import EXPORT_COLUMNS
    from service.review.dashboard import to_csv as review_csv

    nasty = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", 3]
    for body in (csv_bytes(["a"] * len(nasty), [nasty]), report_csv(["a"] * len(nasty), [nasty]),
                 review_csv([nasty + [""] * (len(EXPORT_COLUMNS) - len(nasty))])):
        cells = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
        assert [c[:1] for c in cells[:6]] == ["'"] * 6, cells
        assert cells[6:8] == ["plain", "3"]
    # No other module writes CSV on its own (the one writer is service/core/csvfile.py).
    writers = sorted(str(path.relative_to(ROOT)) for folder in ("service", "workers")
                     for path in (ROOT / folder).rglob("*.py")
                     if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()))
    assert writers == ["service/core/csvfile.py"], writers


# 8. submitters never see another organisation's ids ------------------------------------------------------------------


def _verified_copy(actor: Any, campaign: uuid.UUID, data: bytes) -> uuid.UUID:
    from workers.steps.verify import verify

    asset_id = make_asset(actor, campaign, data, "copy.jpg", first_step="verify", queue=False)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        verify(session, asset, Job(asset_id=asset_id, step="verify", status=JobStatus.running))
    return asset_id


def test_a_copy_of_another_organisations_file_reveals_no_ids(client: TestClient) -> None:
    from service.db.screening import AssetScreening, DuplicateCluster

    campaign = make_campaign()
    owner, copier, editor = make_actor(Role.submitter), make_actor(Role.submitter), make_actor(Role.editor)
    data = photo(64, 48, seed=uuid.uuid4().int % 10_000)
    original = _verified_copy(owner, campaign, data)
    copy = _verified_copy(copier, campaign, data)
    with session_scope() as session:
        cluster = DuplicateCluster(best_asset_id=original, size=2)
        session.add(cluster)
        session.flush()
        for member in (original, copy):
            session.add(AssetScreening(asset_id=member, cluster_id=cluster.id))
    response = client.get(f"/api/v1/assets/{copy}", headers=copier.headers)
    mine = response.json()
    assert mine["exact_of"] is None
    duplicates = mine["duplicates"]
    assert (duplicates["exact_of"], duplicates["copy_elsewhere"]) == (None, True)
    assert (duplicates["best_asset_id"], duplicates["cluster_size"]) == (None, 2)
    assert str(original) not in response.text
    listed = client.get("/api/v1/assets", params={"campaign_id": str(campaign)}, headers=copier.headers).text
    assert str(copy) in listed
    assert str(original) not in listed
    # The owner of the best shot sees its own id; the editor sees everything.
    assert client.get(f"/api/v1/assets/{original}", headers=owner.headers).json()["duplicates"]["best_asset_id"] == \
        str(original)
    seen = client.get(f"/api/v1/assets/{copy}", headers=editor.headers).json()
    assert seen["exact_of"] == str(original)
    assert seen["duplicates"]["best_asset_id"] == str(original)


# 10. download redirects expire within a minute -----------------------------------------------------------------------


def test_download_redirects_expire_within_a_minute(client: TestClient) -> None:
    from service.core.config import Settings

    submitter = make_actor(Role.submitter)
    asset = make_released_asset(submitter, make_campaign(), review_status="pending")
    for path in (f"/api/v1/assets/{asset}/original", f"/api/v1/assets/{asset}/renditions/web"):
        response = client.get(path, headers=submitter.headers, follow_redirects=False)
        assert response.status_code == 307, response.text
        assert int(parse_qs(urlsplit(response.headers["location"]).query)["X-Amz-Expires"][0]) <= 60
    with pytest.raises(ValidationError):
        Settings(presign_ttl_seconds=300)


# 11. Content-Disposition per RFC 6266, no path parts -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [("../../etc/passwd", "passwd"),
                                                ("..\\..\\boot.ini", "boot.ini"),
                                                ("活动/照片 1.jpg", "照片 1.jpg")])
def test_original_download_names_carry_no_path(client: TestClient, name: str, expected: str) -> None:
    submitter = make_actor(Role.submitter)
    asset = make_released_asset(submitter, make_campaign(), review_status="pending", original_filename=name)
    response = client.get(f"/api/v1/assets/{asset}/original", headers=submitter.headers, follow_redirects=False)
    url = response.headers["location"]
    disposition = parse_qs(urlsplit(url).query)["response-content-disposition"][0]
    fetched = httpx.get(url, timeout=30)
    assert fetched.status_code == 200
    for header in (disposition, fetched.headers["content-disposition"]):
        assert header.startswith("attachment; filename=\""), header
        star = header.split("filename*=UTF-8''", 1)[1]
        assert unquote(star) == expected, header
        assert not {"/", "\\"} & set(unquote(star))
        plain = header.split('filename="', 1)[1].split('"', 1)[0]
        assert plain.isascii(), header
        assert "/" not in plain, header
        assert ".." not in plain, header
