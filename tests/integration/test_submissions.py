"""Submissions API against real PostgreSQL: auth, organisation scope, validation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.db.org import Role
from tests.support import make_actor, make_campaign


def test_submitter_creates_and_reads_own_submission(client: TestClient) -> None:
    campaign = make_campaign()
    alice = make_actor(Role.submitter)
    body = {"campaign_id": str(campaign), "title": "  开放校园：技能展示  ", "category": "activity_photos",
            "theme_tags": ["产教融合", "职普融通"], "activity_date": "2023-05-15", "place": "济南", "consent": True}
    created = client.post("/api/v1/submissions", json=body, headers=alice.headers)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["title"] == "开放校园：技能展示"
    assert sub["org_id"] == str(alice.org_id)
    assert sub["region_code"] == "370100"  # inherited from the organisation
    got = client.get(f"/api/v1/submissions/{sub['id']}", headers=alice.headers)
    assert got.status_code == 200
    assert got.json()["theme_tags"] == ["产教融合", "职普融通"]
    listed = client.get("/api/v1/submissions", headers=alice.headers).json()
    assert [item["id"] for item in listed["items"]] == [sub["id"]]


def test_other_organisation_sees_nothing(client: TestClient) -> None:
    campaign = make_campaign()
    alice, bob = make_actor(Role.submitter), make_actor(Role.submitter)
    sub = client.post("/api/v1/submissions", json={"campaign_id": str(campaign), "title": "A"},
                      headers=alice.headers).json()
    assert client.get(f"/api/v1/submissions/{sub['id']}", headers=bob.headers).status_code == 404
    patched = client.patch(f"/api/v1/submissions/{sub['id']}", json={"title": "hijack"}, headers=bob.headers)
    assert patched.status_code == 404
    assert sub["id"] not in [i["id"] for i in client.get("/api/v1/submissions", headers=bob.headers).json()["items"]]
    editor = make_actor(Role.editor)
    assert client.get(f"/api/v1/submissions/{sub['id']}", headers=editor.headers).status_code == 200


def test_wrong_or_missing_token_is_401_problem(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer mdk_not-a-token"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        response = client.get("/api/v1/submissions", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unauthorized"


def test_outlet_cannot_submit(client: TestClient) -> None:
    outlet = make_actor(Role.outlet)
    response = client.post("/api/v1/submissions", json={"title": "x"}, headers=outlet.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_submitter_cannot_submit_for_another_org(client: TestClient) -> None:
    campaign = make_campaign()
    alice, bob = make_actor(Role.submitter), make_actor(Role.submitter)
    response = client.post("/api/v1/submissions", json={"campaign_id": str(campaign), "title": "x",
                                                        "org_id": str(bob.org_id)}, headers=alice.headers)
    assert response.status_code == 403


def test_validation_messages_are_specific(client: TestClient) -> None:
    alice = make_actor(Role.submitter)
    response = client.post("/api/v1/submissions", json={"title": "", "category": "nope", "region_code": "12",
                                                        "theme_tags": ["广告"]}, headers=alice.headers)
    assert response.status_code == 422
    fields = {tuple(e["loc"])[-1] for e in response.json()["errors"]}
    assert fields == {"title", "category", "region_code"}
    # Theme tags are the campaign's own (its stored taxonomy): checked once the campaign is known.
    campaign = make_campaign()
    response = client.post("/api/v1/submissions", json={"title": "开放校园", "campaign_id": str(campaign),
                                                        "theme_tags": ["广告"]}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_theme_tag"
    assert "未知的主题标签" in response.text


def test_update_keeps_other_fields_and_strips_control_chars(client: TestClient) -> None:
    campaign = make_campaign()
    alice = make_actor(Role.submitter)
    sub = client.post("/api/v1/submissions", json={"campaign_id": str(campaign), "title": "原标题", "place": "青岛"},
                      headers=alice.headers).json()
    patched = client.patch(f"/api/v1/submissions/{sub['id']}", json={"title": "新\x00标题\x1b[31m"},
                           headers=alice.headers)
    assert patched.status_code == 200
    assert patched.json()["title"] == "新标题[31m"
    assert patched.json()["place"] == "青岛"


def test_token_of_inactive_user_is_refused(client: TestClient) -> None:
    from service.core.db import session_scope
    from service.db.org import User

    alice = make_actor(Role.submitter)
    with session_scope() as session:
        user = session.get(User, alice.user_id)
        assert user is not None
        user.is_active = False
    assert client.get("/api/v1/submissions", headers=alice.headers).status_code == 401
