"""Review rules: roles, claims, decisions with reasons, optimistic versions, edits, bulk, audit, feedback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from service.core.db import session_scope
from service.db.org import Role
from service.db.review import Review
from tests.support import Actor, make_actor, make_campaign, make_ready_asset, make_submission


def _setup(n: int = 1) -> tuple[Actor, list[uuid.UUID]]:
    submitter = make_actor(Role.submitter)
    submission_id = make_submission(submitter, make_campaign())
    return submitter, [make_ready_asset(submission_id, f"photo-{i}.jpg") for i in range(n)]


def test_only_staff_use_the_review_api(client: TestClient) -> None:
    submitter, [asset_id] = _setup()
    outlet = make_actor(Role.outlet)
    for actor in (submitter, outlet):
        assert client.get("/api/v1/review/queue", headers=actor.headers).status_code == 403
        assert client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=actor.headers).status_code == 403
    assert client.get("/api/v1/review/queue").status_code == 401


def test_second_editor_is_refused_a_claimed_asset_with_a_clear_message(client: TestClient) -> None:
    _, [asset_id] = _setup()
    first, second = make_actor(Role.editor), make_actor(Role.editor)
    claimed = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=first.headers)
    assert claimed.status_code == 200
    assert claimed.json()["claimed_by_me"] is True
    refused = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=second.headers)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "claimed_by_other"
    assert first.username in body["detail"]
    assert "正由编辑" in body["detail"]
    decision = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=second.headers,
                           json={"action": "approve"})
    assert decision.status_code == 409


def test_claims_expire(client: TestClient) -> None:
    _, [asset_id] = _setup()
    first, second = make_actor(Role.editor), make_actor(Role.editor)
    client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=first.headers)
    with session_scope() as session:
        session.execute(update(Review).where(Review.asset_id == asset_id)
                        .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
    taken = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=second.headers)
    assert taken.status_code == 200
    assert taken.json()["claimed_by"] == second.username


def test_claiming_twice_is_idempotent(client: TestClient) -> None:
    _, [asset_id] = _setup()
    editor = make_actor(Role.editor)
    one = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()
    two = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()
    assert one["version"] == two["version"]
    assert two["claimed_by_me"] is True


def test_reject_needs_a_reason_and_the_submitter_sees_it(client: TestClient) -> None:
    submitter, [asset_id] = _setup()
    editor = make_actor(Role.editor)
    version = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()["version"]
    no_reason = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                            json={"action": "reject", "version": version})
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "reason_required"
    other = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                        json={"action": "reject", "version": version, "reason_code": "other"})
    assert other.json()["code"] == "reason_text_required"
    rejected = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                           json={"action": "reject", "version": version, "reason_code": "commercial",
                                 "reason_text": "横幅上有商家二维码"})
    assert rejected.status_code == 200
    assert rejected.json()["review_status"] == "rejected"
    submission_id = client.get(f"/api/v1/assets/{asset_id}", headers=submitter.headers).json()["submission_id"]
    feedback = client.get(f"/api/v1/submissions/{submission_id}/review", headers=submitter.headers).json()
    [item] = feedback["items"]
    assert item["review_status"] == "rejected"
    assert item["review_reason"]["zh"] == "含商业推广内容"
    assert item["review_reason"]["text"] == "横幅上有商家二维码"
    assert "公益" in item["review_reason"]["advice"]


def test_other_organisations_never_see_the_feedback(client: TestClient) -> None:
    submitter, [asset_id] = _setup()
    stranger = make_actor(Role.submitter)
    submission_id = client.get(f"/api/v1/assets/{asset_id}", headers=submitter.headers).json()["submission_id"]
    assert client.get(f"/api/v1/submissions/{submission_id}/review", headers=stranger.headers).status_code == 404


def test_a_stale_version_gets_409_not_a_silent_overwrite(client: TestClient) -> None:
    _, [asset_id] = _setup()
    editor = make_actor(Role.editor)
    version = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=editor.headers).json()["version"]
    first = client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor.headers,
                         json={"version": version, "caption": "学生展示数控加工技能"})
    assert first.status_code == 200
    stale = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                        json={"action": "approve", "version": version})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"
    assert "刷新" in stale.json()["detail"]
    fresh = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                        json={"action": "feature", "version": first.json()["version"]})
    assert fresh.json()["review_status"] == "featured"
    assert client.get(f"/api/v1/review/assets/{asset_id}", headers=editor.headers).json()["caption"] == (
        "学生展示数控加工技能")


def test_every_decision_and_edit_is_audited_with_before_and_after(client: TestClient) -> None:
    _, [asset_id] = _setup()
    editor = make_actor(Role.editor)
    client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor.headers,
                 json={"credit": "山东省教育厅", "add_tags": ["技能展示"]})
    client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                json={"action": "return", "reason_code": "low_quality"})
    events = client.get(f"/api/v1/review/assets/{asset_id}/events", headers=editor.headers).json()
    assert [e["action"] for e in events] == ["edit", "return"]
    assert events[0]["actor"] == editor.username
    assert events[0]["before"] == {"credit": "", "tags": []}
    assert events[0]["after"] == {"credit": "山东省教育厅", "tags": ["技能展示"]}
    assert events[1]["before"]["review_status"] == "pending"
    assert events[1]["after"]["review_status"] == "returned"


def test_editor_tags_keep_their_source(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    submission_id = make_submission(submitter, make_campaign())
    asset_id = make_ready_asset(submission_id, tags=[{"name": "开放校园", "source": "ocr", "score": 0.8}])
    editor = make_actor(Role.editor)
    body = client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor.headers,
                        json={"add_tags": ["志愿服务"], "remove_tags": ["开放校园"]}).json()
    assert body["tags"] == [{"name": "志愿服务", "source": "editor", "score": 1.0}]
    bad = client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor.headers, json={"add_tags": [""]})
    assert bad.status_code == 422


def test_bulk_decisions_skip_items_claimed_by_others(client: TestClient) -> None:
    _, asset_ids = _setup(3)
    editor, other = make_actor(Role.editor), make_actor(Role.editor)
    client.post(f"/api/v1/review/assets/{asset_ids[2]}/claim", headers=other.headers)
    result = client.post("/api/v1/review/bulk", headers=editor.headers,
                         json={"asset_ids": [str(a) for a in asset_ids], "action": "approve"}).json()
    assert sorted(result["done"]) == sorted(str(a) for a in asset_ids[:2])
    assert result["skipped"][0]["asset_id"] == str(asset_ids[2])
    assert result["skipped"][0]["code"] == "claimed_by_other"
    again = client.post("/api/v1/review/bulk", headers=editor.headers,
                        json={"asset_ids": [str(a) for a in asset_ids[:2]], "action": "approve"}).json()
    assert len(again["done"]) == 2  # idempotent: approving approved items changes nothing visible
    statuses = {client.get(f"/api/v1/review/assets/{a}", headers=editor.headers).json()["review_status"]
                for a in asset_ids[:2]}
    assert statuses == {"approved"}


def test_assets_not_ready_are_not_in_review(client: TestClient) -> None:
    editor = make_actor(Role.editor)
    assert client.post(f"/api/v1/review/assets/{uuid.uuid4()}/claim", headers=editor.headers).status_code == 404
