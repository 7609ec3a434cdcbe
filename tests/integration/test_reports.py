"""The week's summary for the ministry and the outlet usage report, as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.core.db import session_scope
from service.db.org import OrgKind, Role
from service.db.portal import Download
from tests.support import make_actor, make_campaign, make_org, make_released_asset


def test_week_summary_per_province_and_organisation(client: TestClient) -> None:
    campaign = make_campaign()
    editor, outlet = make_actor(Role.editor), make_actor(Role.outlet)
    jinan = make_actor(Role.submitter)  # region 370100
    guangzhou = make_actor(Role.submitter, org_id=make_org(OrgKind.school, region="440100"))
    featured = make_released_asset(jinan, campaign)
    make_released_asset(jinan, campaign, review_status="approved")
    make_released_asset(guangzhou, campaign, kind="video", review_status="rejected")
    make_released_asset(guangzhou, campaign)
    with session_scope() as session:
        for _ in range(2):
            session.add(Download(at=datetime.now(UTC), user_id=outlet.user_id, org_id=outlet.org_id,
                                 asset_id=featured, rendition="web", ip="127.0.0.1", bytes=10))

    response = client.get("/api/v1/reports/week-summary", params={"campaign_id": str(campaign)},
                          headers=editor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    by_region = {r["region_code"]: r for r in body["rows"]}
    assert set(by_region) == {"370000", "440000"}
    shandong, guangdong = by_region["370000"], by_region["440000"]
    assert (shandong["submitted"], shandong["approved"], shandong["featured"]) == (2, 2, 1)
    assert (shandong["downloaded_assets"], shandong["downloads"]) == (1, 2)
    assert (guangdong["submitted"], guangdong["approved"], guangdong["featured"], guangdong["videos"]) == (2, 1, 1, 1)
    assert body["total"]["submitted"] == 4
    assert body["total"]["downloads"] == 2

    per_org = client.get("/api/v1/reports/week-summary", headers=editor.headers,
                         params={"campaign_id": str(campaign), "group": "organization"}).json()
    assert {r["name"]: r["featured"] for r in per_org["rows"]} == {jinan.org_name: 1, guangzhou.org_name: 1}

    as_csv = client.get("/api/v1/reports/week-summary", headers=editor.headers,
                        params={"campaign_id": str(campaign), "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][0] == "地区/单位 Region/organisation"
    assert rows[-1][0] == "合计 Total"
    assert rows[-1][3] == "4"

    as_xlsx = client.get("/api/v1/reports/week-summary", headers=editor.headers,
                         params={"campaign_id": str(campaign), "format": "xlsx", "group": "organization"})
    assert "attachment" in as_xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][2] == "报送条目 Submissions"
    assert values[-1][0] == "合计 Total"
    assert values[-1][3] == 4


def test_outlet_usage_export_and_roles(client: TestClient) -> None:
    editor, outlet, submitter = make_actor(Role.editor), make_actor(Role.outlet), make_actor(Role.submitter)
    with session_scope() as session:
        session.add(Download(at=datetime.now(UTC), user_id=outlet.user_id, org_id=outlet.org_id, asset_id=None,
                             rendition="package", ip="127.0.0.1", bytes=2048))
    usage = client.get("/api/v1/reports/outlet-usage", headers=editor.headers, params={"format": "xlsx"})
    assert usage.status_code == 200
    sheet = load_workbook(io.BytesIO(usage.content)).active
    assert outlet.org_name in [row[0].value for row in sheet.iter_rows()]
    for actor in (outlet, submitter):
        assert client.get("/api/v1/reports/week-summary", headers=actor.headers).status_code == 403
        assert client.get("/api/v1/reports/outlet-usage", headers=actor.headers).status_code == 403


def test_formula_like_names_are_neutralised_in_exports(client: TestClient) -> None:
    from service.reports.export import to_csv

    data = to_csv(["name"], [["=HYPERLINK(\"http://x\")"], ["正常"]]).decode("utf-8-sig")
    assert "'=HYPERLINK" in data
