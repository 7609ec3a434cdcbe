"""The review queue: filters, sorts, keyset pages, Chinese search, saved filters, clusters, dashboard, export."""

from __future__ import annotations

import csv
import io
import uuid

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.core.queues import Queue
from service.db.org import OrgKind, Role
from tests.support import make_actor, make_campaign, make_org, make_ready_asset, make_submission


def _queue(client: TestClient, headers: dict[str, str], **params: object) -> dict[str, object]:
    response = client.get("/api/v1/review/queue", headers=headers, params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _ids(page: dict[str, object]) -> list[str]:
    return [item["asset_id"] for item in page["items"]]  # type: ignore[index, union-attr]


def test_filters_by_campaign_region_kind_finding_and_tag(client: TestClient) -> None:
    campaign = make_campaign()
    shandong = make_actor(Role.submitter, org_id=make_org(OrgKind.school, region="370102"))
    guangdong = make_actor(Role.submitter, org_id=make_org(OrgKind.school, region="440106"))
    s1 = make_submission(shandong, campaign, "济南职业学院开放日")
    s2 = make_submission(guangdong, campaign, "广州技能节")
    a = make_ready_asset(s1, "a.jpg", findings=["qr"])
    b = make_ready_asset(s1, "b.mp4", kind="video", tags=[{"name": "技能展示", "source": "visual", "score": 0.6}])
    c = make_ready_asset(s2, "c.jpg", quality_score=0.9)
    editor = make_actor(Role.editor)
    assert set(_ids(_queue(client, editor.headers, campaign_id=campaign))) == {str(a), str(b), str(c)}
    assert set(_ids(_queue(client, editor.headers, campaign_id=campaign, region="37"))) == {str(a), str(b)}
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, region="4401")) == [str(c)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, kind="video")) == [str(b)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, finding="qr")) == [str(a)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, tag="技能展示")) == [str(b)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, org_id=guangdong.org_id)) == [str(c)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, sort="quality"))[0] == str(c)
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, sort="risk"))[0] == str(a)
    item = _queue(client, editor.headers, campaign_id=campaign, finding="qr")["items"][0]  # type: ignore[index]
    assert item["risk_flags"] == ["qr"]
    assert item["org_name"] == shandong.org_name


def test_bad_filters_get_a_specific_422(client: TestClient) -> None:
    editor = make_actor(Role.editor)
    for params in ({"region": "shandong"}, {"sort": "random"}, {"status": "maybe"}, {"cursor": "garbage!"},
                   {"kind": "audio"}):
        response = client.get("/api/v1/review/queue", headers=editor.headers, params=params)
        assert response.status_code == 422, params


def test_keyset_pages_cover_everything_once(client: TestClient) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, campaign)
    created = {str(make_ready_asset(submission, f"p{i}.jpg")) for i in range(7)}
    editor = make_actor(Role.editor)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, object] = {"campaign_id": campaign, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = _queue(client, editor.headers, **params)
        seen += _ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 7
    assert set(seen) == created


def test_chinese_full_text_search_over_titles_captions_ocr_and_tags(client: TestClient) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    welding = make_submission(submitter, campaign, "焊接技能大赛现场")
    other = make_submission(submitter, campaign, "社区家电维修志愿服务")
    a = make_ready_asset(welding, "1.jpg")
    b = make_ready_asset(other, "2.jpg", ocr_text="2023年职业教育活动周 技能让生活更美好")
    c = make_ready_asset(other, "3.jpg", caption="养老护理专业学生走进社区", tags=[{"name": "护理", "source": "visual",
                                                                            "score": 0.7}])
    editor = make_actor(Role.editor)
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="技能大赛")) == [str(a)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="职业教育活动周")) == [str(b)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="养老护理")) == [str(c)]
    # Two-character terms cannot use trigrams; they still find tags and text.
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="护理")) == [str(c)]
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="焊接")) == [str(a)]
    # A LIKE wildcard typed by the user is a literal character, not "match everything".
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q="%")) == []


def test_saved_filters_are_per_editor(client: TestClient) -> None:
    editor, other = make_actor(Role.editor), make_actor(Role.editor)
    body = {"name": "山东·二维码", "query": {"region": "37", "finding": "qr"}}
    created = client.post("/api/v1/review/filters", headers=editor.headers, json=body)
    assert created.status_code == 201
    again = client.post("/api/v1/review/filters", headers=editor.headers,
                        json={**body, "query": {"region": "37"}})  # same name replaces: idempotent
    assert again.json()["id"] == created.json()["id"]
    assert [f["query"] for f in client.get("/api/v1/review/filters", headers=editor.headers).json()] == [
        {"region": "37"}]
    assert client.get("/api/v1/review/filters", headers=other.headers).json() == []
    assert client.delete(f"/api/v1/review/filters/{created.json()['id']}", headers=other.headers).status_code == 404
    bad = client.post("/api/v1/review/filters", headers=editor.headers, json={"name": "x", "query": {"sort": 5}})
    assert bad.status_code == 422


def test_keep_best_reject_the_rest(client: TestClient) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, campaign)
    cluster = uuid.uuid4()
    best = make_ready_asset(submission, "best.jpg", cluster_id=cluster, cluster_best=True, quality_score=0.9)
    rest = [make_ready_asset(submission, f"copy{i}.jpg", cluster_id=cluster, quality_score=0.5) for i in range(2)]
    editor, other = make_actor(Role.editor), make_actor(Role.editor)
    assert set(_ids(_queue(client, editor.headers, cluster_id=cluster))) == {str(best), *map(str, rest)}
    client.post(f"/api/v1/review/assets/{rest[0]}/claim", headers=other.headers)
    blocked = client.post(f"/api/v1/review/clusters/{cluster}/resolve", headers=editor.headers, json={})
    assert blocked.status_code == 409
    client.delete(f"/api/v1/review/assets/{rest[0]}/claim", headers=other.headers)
    resolved = client.post(f"/api/v1/review/clusters/{cluster}/resolve", headers=editor.headers, json={})
    assert resolved.status_code == 200
    assert resolved.json()["kept"] == str(best)
    assert sorted(resolved.json()["rejected"]) == sorted(map(str, rest))
    members = {m["asset_id"]: m for m in client.get(f"/api/v1/review/clusters/{cluster}",
                                                    headers=editor.headers).json()}
    assert members[str(best)]["review_status"] == "pending"
    assert {members[str(r)]["reason_code"] for r in rest} == {"duplicate"}
    again = client.post(f"/api/v1/review/clusters/{cluster}/resolve", headers=editor.headers, json={})
    assert again.json()["rejected"] == []  # idempotent
    assert client.post(f"/api/v1/review/clusters/{uuid.uuid4()}/resolve", headers=editor.headers,
                       json={}).status_code == 404


def test_dashboard_and_exports(client: TestClient) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter, org_id=make_org(OrgKind.school, region="370102",
                                                           name=f"=HYPERLINK(\"x\")-{uuid.uuid4().hex[:6]}"))
    submission = make_submission(submitter, campaign)
    assets = [make_ready_asset(submission, f"{i}.jpg") for i in range(3)]
    editor = make_actor(Role.editor)
    client.post(f"/api/v1/review/assets/{assets[0]}/decision", headers=editor.headers, json={"action": "feature"})
    board = client.get("/api/v1/review/dashboard", headers=editor.headers, params={"campaign_id": campaign}).json()
    assert board["counts"]["region"] == [{"code": "37", "name": "山东省", "count": 3}]
    assert {r["status"]: r["count"] for r in board["counts"]["review_status"]} == {"pending": 2, "featured": 1}
    assert {q["queue"] for q in board["backlog"]} == {q.value for q in Queue}
    raw = client.get("/api/v1/review/export.csv", headers=editor.headers, params={"campaign_id": campaign})
    assert raw.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert rows[0][0] == "地区 region"
    assert rows[1][0] == "山东省"
    assert rows[1][1].startswith("'=")  # formula injection neutralised
    assert rows[1][2] == "3"
    assert rows[1][8] == "1"
    xlsx = client.get("/api/v1/review/export.xlsx", headers=editor.headers, params={"campaign_id": campaign})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:3] == ["山东省", rows[1][1], 3]
    assert client.get("/api/v1/review/export.pdf", headers=editor.headers).status_code == 404
    assert client.get("/api/v1/review/dashboard", headers=submitter.headers).status_code == 403


def test_queue_follows_submission_edits(client: TestClient) -> None:
    campaign = make_campaign()
    submitter = make_actor(Role.submitter)
    submission = make_submission(submitter, campaign, "开放校园日")
    asset_id = make_ready_asset(submission, "1.jpg")
    response = client.patch(f"/api/v1/submissions/{submission}", headers=submitter.headers,
                            json={"title": "家电维修进社区", "category": "typical_case"})
    assert response.status_code == 200
    editor = make_actor(Role.editor)
    page = _queue(client, editor.headers, campaign_id=campaign, q="家电维修")
    assert _ids(page) == [str(asset_id)]
    assert page["items"][0]["category"] == "typical_case"  # type: ignore[index]
