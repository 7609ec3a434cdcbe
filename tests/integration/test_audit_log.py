"""One audit log: decisions, edits, tags, collections (release, embargo, withdrawal), revocations and their
restoration, takedowns and the purge all land in ``audit_log`` through ``record()``; no row holds purgeable content
and a purge deletes none; admins filter it (Beijing time) and export it with names, not codes."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.org import Role
from tests.integration.portal_support import desk, release, released_asset
from tests.integration.test_takedown import due_now, take_down
from tests.support import make_actor, make_campaign, make_ready_asset, make_submission

CAPTION = "学生在实训基地展示数控加工技能（秘密说明）"


def rows_for(target_id: uuid.UUID | str) -> list[AuditLog]:
    with session_scope() as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.target_id == uuid.UUID(str(target_id)))
                                    .order_by(AuditLog.at, AuditLog.id)))
        session.expunge_all()
        return rows


def test_review_decisions_edits_and_tags_are_logged_without_their_text(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    editor = make_actor(Role.editor)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), filename="王同学_家庭住址.jpg")
    edited = client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor.headers, json={"caption": CAPTION})
    assert edited.status_code == 200, edited.text
    assert client.post(f"/api/v1/assets/{asset_id}/tags", json={"name": "技能展示"},
                       headers=editor.headers).status_code == 201
    decided = client.post(f"/api/v1/review/assets/{asset_id}/decision", headers=editor.headers,
                          json={"action": "reject", "reason_code": "low_quality", "reason_text": "模糊（王同学）"})
    assert decided.status_code == 200, decided.text
    rows = rows_for(asset_id)
    assert [r.action for r in rows] == ["review.edit", "review.edit", "review.reject"]
    assert rows[0].detail["fields"] == ["caption"] or "caption" in rows[0].detail["fields"]
    assert "tags" in rows[1].detail["fields"]
    assert rows[2].detail["review_status"]["to"] == "rejected"
    assert rows[2].detail["reason_code"]["to"] == "low_quality"
    assert all(r.actor_id == editor.user_id and r.org_id == submitter.org_id for r in rows)
    logged = " ".join(str(r.detail) for r in rows)
    for secret in (CAPTION, "技能展示", "王同学", "家庭住址"):
        assert secret not in logged


def test_collection_release_embargo_withdrawal_and_revocations_are_logged(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    collection = release(client, d.editor, [asset])
    cid = collection["id"]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for body in ({"release_at": later}, {"embargo_until": later}, {"withdrawn": True}, {"withdrawn": False},
                 {"title": "改名"}):
        assert client.patch(f"/api/v1/collections/{cid}", json=body, headers=d.editor.headers).status_code == 200
    removed = client.delete(f"/api/v1/collections/{cid}/items/{asset}", headers=d.editor.headers)
    assert removed.status_code == 204
    actions = [r.action for r in rows_for(cid)]
    assert actions == ["collection.create", "collection.items_add", "collection.release", "collection.embargo",
                       "collection.withdraw", "collection.unwithdraw", "collection.edit", "collection.item_remove"]
    assert "改名" not in str([r.detail for r in rows_for(cid)])
    revoked = client.post("/api/v1/revocations", headers=d.editor.headers,
                          json={"org_id": str(d.outlet.org_id), "reason": "违规转载"})
    rid = revoked.json()["id"]
    assert client.delete(f"/api/v1/revocations/{rid}", headers=d.editor.headers).status_code == 204
    assert [r.action for r in rows_for(rid)] == ["revocation.create", "revocation.restore"]
    assert all(r.org_id == d.outlet.org_id for r in rows_for(rid))


def test_takedown_and_purge_are_logged_and_the_log_survives_the_purge(client: TestClient) -> None:
    from workers.purge import sweep_takedowns

    d = desk()
    asset = released_asset(d, caption=CAPTION, original_filename="王同学_家庭住址.jpg")
    asked = client.post(f"/api/v1/assets/{asset}/takedown-request", json={"reason": "家长要求删除"},
                        headers=d.submitter.headers)
    assert asked.status_code == 202
    record = take_down(client, d, asset, legal_hold=True)
    assert client.patch(f"/api/v1/takedowns/{record['id']}", json={"legal_hold": False},
                        headers=d.editor.headers).status_code == 200
    due_now(record["id"])
    assert sweep_takedowns() >= 1
    with session_scope() as session:
        assert session.get(Asset, asset) is None
        # the database refuses to change or delete an audit row, whoever asks
        with pytest.raises(Exception, match="append-only|audit"):
            session.execute(text("DELETE FROM audit_log WHERE target_id = :id"), {"id": asset})
    rows = rows_for(asset)
    assert [r.action for r in rows] == ["takedown.request", "takedown.take_down", "takedown.legal_hold",
                                        "takedown.purge"]
    assert rows[-1].actor_id is None
    assert rows[-1].actor_name == "system"
    logged = " ".join(str(r.detail) for r in rows)
    for secret in (CAPTION, "王同学", "家长要求删除"):
        assert secret not in logged


def test_filters_in_beijing_time_and_export_with_names(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    target = make_actor(Role.submitter)
    assert client.patch(f"/api/v1/admin/users/{target.user_id}", headers=admin.headers,
                        json={"role": "editor"}).status_code == 200
    now_bj = datetime.now(UTC) + timedelta(hours=8)
    params = {"actor": admin.username, "since": (now_bj - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
              "until": (now_bj + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")}
    found = client.get("/api/v1/admin/audit", params=params, headers=admin.headers).json()
    assert [r["action"] for r in found["items"]] == ["user.edit"]
    assert found["items"][0]["action_name"] == "修改用户"
    assert found["items"][0]["target_kind_name"] == "用户"
    # a window that ended 5 minutes before (Beijing time) holds nothing: the naive times are Beijing, not UTC
    earlier = {"actor": admin.username, "until": (now_bj - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")}
    assert client.get("/api/v1/admin/audit", params=earlier, headers=admin.headers).json()["total"] == 0
    by_domain = client.get("/api/v1/admin/audit", params={"action": "user", "target_id": str(target.user_id)},
                           headers=admin.headers).json()
    assert by_domain["total"] == 1
    bad = client.get("/api/v1/admin/audit", params={"since": "yesterday"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["code"] == "bad_time"

    exported = client.get("/api/v1/admin/audit/export.csv", params={"actor": admin.username}, headers=admin.headers)
    assert exported.status_code == 200
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][0] == "时间（北京时间）"
    assert table[1][3] == "修改用户"
    assert table[1][1] == admin.username
    english = client.get("/api/v1/admin/audit/export.xlsx", params={"actor": admin.username, "lang": "en"},
                         headers=admin.headers)
    sheet = load_workbook(io.BytesIO(english.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][3] == "Action"
    assert "User edited" in {row[3] for row in values[1:]}
    # the export itself is on the record
    assert client.get("/api/v1/admin/audit", params={"action": "audit.export", "actor": admin.username},
                      headers=admin.headers).json()["total"] == 2


def test_submission_edits_name_fields_not_text(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    created = client.post("/api/v1/submissions", headers=submitter.headers,
                          json={"campaign_id": str(make_campaign()), "title": "开放校园：王同学的作品"})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    patched = client.patch(f"/api/v1/submissions/{sid}", headers=submitter.headers,
                           json={"title": "开放校园：李同学", "place": "山东省济南市"})
    assert patched.status_code == 200
    rows = rows_for(sid)
    assert [r.action for r in rows] == ["submission.create", "submission.edit"]
    assert rows[1].detail == {"fields": ["place", "title"]}
    assert "同学" not in str([r.detail for r in rows])
