"""Restoring an outlet's access ends the revocation but keeps its row (who revoked, who restored, when)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.db.portal import Revocation
from tests.integration.portal_support import desk, release, released_asset
from tests.integration.test_portal_access import _sees_asset


def test_restoring_a_revocation_keeps_its_row(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)
    release(client, d.editor, [asset])
    revoked = client.post("/api/v1/revocations", headers=d.editor.headers,
                          json={"org_id": str(d.outlet.org_id), "reason": "违规转载"})
    assert revoked.status_code == 201, revoked.text
    rid = revoked.json()["id"]
    assert not _sees_asset(client, d.outlet.headers, asset)
    assert client.delete(f"/api/v1/revocations/{rid}", headers=d.editor.headers).status_code == 204
    assert _sees_asset(client, d.outlet.headers, asset)
    with session_scope() as session:
        row = session.get(Revocation, uuid.UUID(rid))
        assert row is not None  # the history survives the restoration
        assert row.restored_at is not None
        assert row.restored_by == d.editor.user_id
        assert row.revoked_by == d.editor.user_id
        assert row.reason == "违规转载"
    active = client.get("/api/v1/revocations", headers=d.editor.headers).json()
    assert rid not in {r["id"] for r in active}
    history = client.get("/api/v1/revocations", params={"include_restored": "true"}, headers=d.editor.headers).json()
    assert next(r for r in history if r["id"] == rid)["restored_by"] == str(d.editor.user_id)
    # revoking again is a new revocation, restoring twice changes nothing
    again = client.post("/api/v1/revocations", headers=d.editor.headers, json={"org_id": str(d.outlet.org_id)})
    assert again.status_code == 201
    assert again.json()["id"] != rid
    assert not _sees_asset(client, d.outlet.headers, asset)
    assert client.delete(f"/api/v1/revocations/{rid}", headers=d.editor.headers).status_code == 204
    assert not _sees_asset(client, d.outlet.headers, asset)
