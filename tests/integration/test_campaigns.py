"""Campaigns from the web: admins create and edit the 2024 and 2025 weeks with their taxonomy, everyone reads them,
the forms and the tag step use the campaign's stored taxonomy, and the header switches campaigns (real servers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.org import Role
from tests.support import make_actor, make_ready_asset, make_submission, unique, web_login

WEEK_2024 = {"year": 2024, "theme": "技能：让生活更美好", "week_start": "2024-05-12", "week_end": "2024-05-18",
             "plan_deadline": "2024-04-26", "summary_deadline": "2024-05-25",
             "upload_opens_at": "2024-04-26T00:00:00", "upload_closes_at": "2024-05-26T00:00:00"}


def create(client: TestClient, admin_headers: dict[str, str], **changes: object) -> httpx.Response:
    return client.post("/api/v1/campaigns", headers=admin_headers,
                       json={**WEEK_2024, "name": unique("2024年职业教育活动周"), **changes})


def audit_actions(target_id: str) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(AuditLog.action).where(AuditLog.target_id == uuid.UUID(target_id))
                                    .order_by(AuditLog.at)).all())


def test_admin_creates_and_edits_a_week_everyone_reads_it(client: TestClient) -> None:
    admin, editor, submitter = make_actor(Role.admin), make_actor(Role.editor), make_actor(Role.submitter)
    response = create(client, admin.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    # Entered as Beijing midnight, stored and returned as the same moment (16:00 UTC the day before).
    assert datetime.fromisoformat(body["upload_opens_at"]) == datetime(2024, 4, 25, 16, 0, tzinfo=UTC)
    campaign_id = body["id"]
    listed = client.get("/api/v1/campaigns", headers=submitter.headers)
    assert listed.status_code == 200
    assert campaign_id in {c["id"] for c in listed.json()}
    assert create(client, editor.headers).status_code == 403
    assert client.patch(f"/api/v1/campaigns/{campaign_id}", headers=submitter.headers,
                        json={"theme": "x"}).status_code == 403

    edited = client.patch(f"/api/v1/campaigns/{campaign_id}", headers=admin.headers,
                          json={"summary_deadline": "2024-05-31", "max_video_seconds": 600})
    assert edited.status_code == 200, edited.text
    assert edited.json()["summary_deadline"] == "2024-05-31"
    assert edited.json()["max_video_seconds"] == 600
    assert audit_actions(campaign_id) == ["campaign.create", "campaign.edit"]

    # The new week starts with its own copy of the shipped taxonomy.
    taxonomy = client.get(f"/api/v1/campaigns/{campaign_id}/taxonomy", headers=submitter.headers).json()
    facets = {f["code"]: f for f in taxonomy["facets"]}
    assert {"activity", "theme", "scene", "industry"} <= set(facets)
    assert "开放校园" in {t["name"] for t in taxonomy["theme_tags"]}
    assert any(t["name"] == "技能展示" and "技能表演" in t["keywords"] for t in facets["activity"]["tags"])


def test_bad_weeks_are_refused_with_clear_codes(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    cases = {
        "campaign_week_order": {"week_end": "2024-05-01"},
        "campaign_deadline_order": {"plan_deadline": "2024-05-20"},
        "campaign_upload_window": {"upload_closes_at": "2024-04-01T00:00:00"},
        "campaign_year_mismatch": {"year": 2025},
    }
    for code, changes in cases.items():
        response = create(client, admin.headers, **changes)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["code"] == code
        assert "/" in response.json()["detail"]  # zh-CN and English
    for extreme in ({"upload_opens_at": "0001-01-01T00:00:00"}, {"max_video_bytes": 10**30}):
        assert create(client, admin.headers, **extreme).status_code == 422, extreme  # refused, never a 500
    name = unique("2025年职业教育活动周")
    first = create(client, admin.headers, name=name, year=2025, week_start="2025-05-11", week_end="2025-05-17",
                   plan_deadline="2025-04-25", summary_deadline="2025-05-24",
                   upload_opens_at="2025-04-25T00:00:00", upload_closes_at="2025-05-25T00:00:00")
    assert first.status_code == 201, first.text
    again = create(client, admin.headers, name=name)
    assert again.status_code == 409
    assert again.json()["code"] == "campaign_name_taken"
    other = create(client, admin.headers).json()["id"]
    renamed = client.patch(f"/api/v1/campaigns/{other}", headers=admin.headers, json={"name": name})
    assert renamed.status_code == 409
    assert renamed.json()["code"] == "campaign_name_taken"


def test_edited_taxonomy_drives_forms_validation_and_the_tag_step(client: TestClient) -> None:
    from workers.steps.tag import tag_asset

    admin, submitter = make_actor(Role.admin), make_actor(Role.submitter)
    now = datetime.now(UTC)
    campaign_id = create(client, admin.headers, year=now.year, week_start=now.date().isoformat(),
                         week_end=now.date().isoformat(), plan_deadline=None, summary_deadline=None,
                         upload_opens_at=None, upload_closes_at=None).json()["id"]
    untouched = create(client, admin.headers, year=now.year, week_start=now.date().isoformat(),
                       week_end=now.date().isoformat(), plan_deadline=None, summary_deadline=None,
                       upload_opens_at=None, upload_closes_at=None).json()["id"]
    doc = client.get(f"/api/v1/campaigns/{campaign_id}/taxonomy", headers=admin.headers).json()
    doc["theme_tags"].append({"name": "数字技能", "en": "Digital skills"})
    industry = next(f for f in doc["facets"] if f["code"] == "industry")
    industry["tags"].append({"name": "低空经济", "en": "low-altitude economy", "keywords": ["无人机航拍"]})
    saved = client.put(f"/api/v1/campaigns/{campaign_id}/taxonomy", headers=admin.headers, json=doc)
    assert saved.status_code == 200, saved.text
    assert audit_actions(campaign_id)[-1] == "taxonomy.edit"
    duplicate = {**doc, "theme_tags": [*doc["theme_tags"], {"name": "数字技能", "en": ""}]}
    refused = client.put(f"/api/v1/campaigns/{campaign_id}/taxonomy", headers=admin.headers, json=duplicate)
    assert refused.status_code == 422
    assert refused.json()["code"] == "taxonomy_invalid"
    assert client.put(f"/api/v1/campaigns/{campaign_id}/taxonomy", headers=submitter.headers,
                      json=doc).status_code == 403

    # Submissions accept this campaign's theme tags only.
    accepted = client.post("/api/v1/submissions", headers=submitter.headers,
                           json={"title": "数字技能进社区", "campaign_id": campaign_id, "theme_tags": ["数字技能"]})
    assert accepted.status_code == 201, accepted.text
    refused = client.post("/api/v1/submissions", headers=submitter.headers,
                          json={"title": "数字技能进社区", "campaign_id": untouched, "theme_tags": ["数字技能"]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "unknown_theme_tag"
    vocabulary = client.get("/api/v1/vocabulary", params={"campaign_id": campaign_id}).json()
    assert "数字技能" in vocabulary["theme_tags"]

    # The tag step matches the campaign's new synonym; the seed-only campaign knows no such tag.
    tagged: dict[str, set[str]] = {}
    for cid in (campaign_id, untouched):
        submission_id = make_submission(submitter, uuid.UUID(cid), title="校园开放日")
        asset_id = make_ready_asset(submission_id, caption="学生操作无人机航拍校园")
        with session_scope() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            tagged[cid] = {name for name, _, _ in tag_asset(session, asset)}
    assert "低空经济" in tagged[campaign_id]
    assert "低空经济" not in tagged[untouched]


def test_pages_create_edit_taxonomy_and_switch(client: TestClient) -> None:
    password = "campaign-pages-pw-1"
    admin = make_actor(Role.admin, password=password)
    csrf = web_login(client, admin.username, password)  # type: ignore[arg-type]
    name = unique("2025年职业教育活动周")
    form = {"csrf_token": csrf, "name": name, "year": "2025", "theme": "技能：让生活更美好",
            "week_start": "2025-05-17", "week_end": "2025-05-11", "plan_deadline": "2025-04-25",
            "summary_deadline": "2025-05-24", "upload_opens_at": "2025-04-25T08:00",
            "upload_closes_at": "2025-05-25T00:00"}
    bad = client.post("/campaigns/new", data=form, follow_redirects=False)
    assert bad.status_code == 422
    assert "活动周结束日期早于开始日期" in bad.text
    form["week_start"], form["week_end"] = "2025-05-11", "2025-05-17"
    made = client.post("/campaigns/new", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text[:500]
    campaign_id = made.headers["location"].split("/")[2]
    page = client.get(f"/campaigns/{campaign_id}/edit")
    assert page.status_code == 200
    assert 'value="2025-04-25T08:00"' in page.text
    listing = client.get("/campaigns")
    assert name in listing.text
    assert "2025-04-25 08:00" in listing.text

    taxonomy = client.get(f"/campaigns/{campaign_id}/taxonomy")
    assert taxonomy.status_code == 200
    assert "技能展示" in taxonomy.text
    saved = client.post(f"/campaigns/{campaign_id}/taxonomy", follow_redirects=False, data={
        "csrf_token": csrf, "theme_tags": "开放校园 | Open campus\n数字技能 | Digital skills",
        "week_keywords": "职业教育活动周", "facet_code_0": "activity", "facet_name_0": "活动", "facet_en_0": "activity",
        "facet_tags_0": "技能展示 | skills demonstration | 技能表演、展示 | 技能展示"})
    assert saved.status_code == 303
    doc = client.get(f"/api/v1/campaigns/{campaign_id}/taxonomy").json()
    assert [t["name"] for t in doc["theme_tags"]] == ["开放校园", "数字技能"]
    assert doc["facets"] == [{"code": "activity", "name": "活动", "en": "activity", "tags": [
        {"name": "技能展示", "en": "skills demonstration", "keywords": ["技能表演", "展示"],
         "visual_prompt": "技能展示"}]}]

    switched = client.post("/campaign/switch", data={"csrf_token": csrf, "campaign_id": campaign_id,
                                                     "next": "/campaigns"}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/campaigns"
    header = client.get("/campaigns").text
    assert f'<option value="{campaign_id}" selected>{name}</option>' in header
