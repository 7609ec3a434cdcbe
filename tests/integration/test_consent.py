"""Per-file consent against the real stack: state and minors, the queue filter, the confirmation before featuring or
releasing a file with faces and missing consent (audited), and private consent documents."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.org import Role
from service.db.screening import AssetScreening
from service.db.submission import Submission
from tests.support import Actor, make_actor, make_campaign, make_ready_asset, make_released_asset, make_submission

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >>" \
      b" endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def with_faces(asset_id: uuid.UUID, faces: int = 3) -> None:
    """What the screen step writes when it counts faces."""
    with session_scope() as session:
        session.merge(AssetScreening(asset_id=asset_id, faces=faces))


def audit_actions(target_id: uuid.UUID) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(AuditLog.action).where(AuditLog.target_id == target_id)
                                    .order_by(AuditLog.at, AuditLog.id)))


def photo_of_form() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), (250, 250, 245)).save(out, "JPEG")
    return out.getvalue()


def test_state_follows_the_submission_until_set_and_only_editors_set_it(client: TestClient) -> None:
    submitter, editor, outlet = make_actor(Role.submitter), make_actor(Role.editor), make_actor(Role.outlet)
    stranger = make_actor(Role.submitter)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    asset = make_ready_asset(submission)
    with_faces(asset)
    seen = client.get(f"/api/v1/assets/{asset}/consent", headers=submitter.headers)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["consent_state"], body["effective_state"], body["faces"]) == (None, "missing", 3)
    assert body["needs_confirmation"] is True
    with session_scope() as session:  # ticking the submission's box is the default for its files
        row = session.get(Submission, submission)
        assert row is not None
        row.consent = True
    assert client.get(f"/api/v1/assets/{asset}/consent", headers=editor.headers).json()["effective_state"] == "on_file"

    minors = client.patch(f"/api/v1/assets/{asset}/consent", json={"shows_minors": True}, headers=submitter.headers)
    assert minors.status_code == 200, minors.text
    assert minors.json()["shows_minors"] is True
    refused = client.patch(f"/api/v1/assets/{asset}/consent", json={"consent_state": "not_needed"},
                           headers=submitter.headers)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/assets/{asset}/consent", headers=stranger.headers).status_code == 404
    assert client.get(f"/api/v1/assets/{asset}/consent", headers=outlet.headers).status_code == 403
    edited = client.patch(f"/api/v1/assets/{asset}/consent", json={"consent_state": "missing"},
                          headers=editor.headers)
    assert edited.json()["effective_state"] == "missing"  # the file's own state wins over the checkbox
    assert client.patch(f"/api/v1/assets/{asset}/consent", json={"consent_state": "maybe"},
                        headers=editor.headers).status_code == 422
    assert audit_actions(asset) == ["consent.edit", "consent.edit"]


def _queue(client: TestClient, editor: Actor, campaign: uuid.UUID, **params: str) -> dict[str, Any]:
    response = client.get("/api/v1/review/queue", params={"campaign_id": str(campaign), **params},
                          headers=editor.headers)
    assert response.status_code == 200, response.text
    return {item["asset_id"]: item for item in response.json()["items"]}


def test_queue_filter_faces_without_consent(client: TestClient) -> None:
    submitter, editor = make_actor(Role.submitter), make_actor(Role.editor)
    campaign = make_campaign()
    unticked = make_submission(submitter, campaign)
    faces_missing, no_faces, not_needed = (make_ready_asset(unticked) for _ in range(3))
    for asset in (faces_missing, not_needed):
        with_faces(asset)
    client.patch(f"/api/v1/assets/{not_needed}/consent", json={"consent_state": "not_needed", "shows_minors": True},
                 headers=editor.headers)
    flagged = _queue(client, editor, campaign, consent="faces_missing")
    assert set(flagged) == {str(faces_missing)}
    assert flagged[str(faces_missing)]["needs_consent"] is True
    everything = _queue(client, editor, campaign)
    assert everything[str(no_faces)]["needs_consent"] is False  # missing, but nobody's face is in it
    assert everything[str(not_needed)]["consent_state"] == "not_needed"
    assert everything[str(not_needed)]["shows_minors"] is True
    assert set(_queue(client, editor, campaign, consent="missing")) == {str(faces_missing), str(no_faces)}
    assert client.get("/api/v1/review/queue", params={"consent": "nope"},
                      headers=editor.headers).status_code == 422


def test_featuring_asks_to_confirm_and_the_confirmation_is_audited(client: TestClient) -> None:
    submitter, editor = make_actor(Role.submitter), make_actor(Role.editor)
    campaign = make_campaign()
    asset = make_ready_asset(make_submission(submitter, campaign))
    with_faces(asset)
    url = f"/api/v1/review/assets/{asset}/decision"
    refused = client.post(url, json={"action": "feature"}, headers=editor.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "consent_missing"
    assert refused.json()["asset_ids"] == [str(asset)]
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        assert row.review_status == "pending"
    assert client.post(url, json={"action": "approve"}, headers=editor.headers).status_code == 200  # no check
    confirmed = client.post(url, json={"action": "feature", "confirm_without_consent": True}, headers=editor.headers)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["review_status"] == "featured"
    with session_scope() as session:
        override = session.scalar(select(AuditLog).where(AuditLog.target_id == asset,
                                                         AuditLog.action == "consent.override"))
        assert override is not None
        assert override.actor_id == editor.user_id
        assert override.detail["context"] == "feature"
        assert override.detail["faces"] == 3
    # bulk featuring skips it with the same code unless confirmed
    other = make_ready_asset(make_submission(submitter, campaign))
    with_faces(other)
    bulk = client.post("/api/v1/review/bulk", json={"asset_ids": [str(other)], "action": "feature"},
                       headers=editor.headers).json()
    assert bulk["done"] == []
    assert bulk["skipped"][0]["code"] == "consent_missing"


def test_releasing_asks_to_confirm(client: TestClient) -> None:
    submitter, editor = make_actor(Role.submitter), make_actor(Role.editor)
    campaign = make_campaign()
    lacking, fine = make_released_asset(submitter, campaign), make_released_asset(submitter, campaign)
    for asset in (lacking, fine):
        with_faces(asset)
    with session_scope() as session:
        row = session.get(Asset, lacking)
        assert row is not None
        row.consent_state = "missing"  # type: ignore[assignment]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    body = {"title": "启动仪式", "asset_ids": [str(lacking), str(fine)], "release_at": past}
    refused = client.post("/api/v1/collections", json=body, headers=editor.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "consent_missing"
    assert refused.json()["asset_ids"] == [str(lacking)]
    # a draft asks nothing; releasing it does
    draft = client.post("/api/v1/collections", json={**body, "release_at": None}, headers=editor.headers)
    assert draft.status_code == 201, draft.text
    collection = draft.json()["id"]
    release = client.patch(f"/api/v1/collections/{collection}", json={"release_at": past}, headers=editor.headers)
    assert release.status_code == 409
    assert client.get(f"/api/v1/collections/{collection}", headers=editor.headers).json()["release_at"] is None
    released = client.patch(f"/api/v1/collections/{collection}",
                            json={"release_at": past, "confirm_without_consent": True}, headers=editor.headers)
    assert released.status_code == 200, released.text
    assert "consent.override" in audit_actions(lacking)
    assert "consent.override" not in audit_actions(fine)
    # adding to a released collection asks too
    late = make_released_asset(submitter, campaign)
    with_faces(late)
    with session_scope() as session:
        row = session.get(Asset, late)
        assert row is not None
        row.consent_state = "missing"  # type: ignore[assignment]
    add = client.post(f"/api/v1/collections/{collection}/items", json={"asset_ids": [str(late)]},
                      headers=editor.headers)
    assert add.status_code == 409
    assert add.json()["code"] == "consent_missing"
    add = client.post(f"/api/v1/collections/{collection}/items",
                      json={"asset_ids": [str(late)], "confirm_without_consent": True}, headers=editor.headers)
    assert add.status_code == 200
    assert str(late) in add.json()["asset_ids"]


def test_consent_documents_are_typed_private_and_set_on_file(client: TestClient) -> None:
    submitter, editor, outlet = make_actor(Role.submitter), make_actor(Role.editor), make_actor(Role.outlet)
    stranger = make_actor(Role.submitter)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    one, two = make_ready_asset(submission), make_ready_asset(submission)
    for asset in (one, two):
        with_faces(asset)
    url = f"/api/v1/submissions/{submission}/consent-documents"
    pdf = {"Content-Type": "application/pdf"}
    for bad, why in ((b"", "empty"), (b"hello, this is a signed form" * 20, "type"),
                     (PDF.replace(b"/Catalog", b"/Catalog /Encrypt 5 0 R"), "pdf_active"),
                     (PDF.replace(b"/Catalog", b"/Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
                      "pdf_active")):
        refused = client.post(url, content=bad, headers={**submitter.headers, **pdf})
        assert refused.status_code == 415, refused.text
        assert refused.json()["code"] == "unsupported_consent_document"
        assert refused.json()["why"] == why
    assert client.post(url, content=b"x" * (20 * 1024 * 1024 + 1),
                       headers={**submitter.headers, **pdf}).status_code == 413
    assert client.post(url, content=PDF, headers={**stranger.headers, **pdf}).status_code == 404
    assert client.post(url, content=PDF, headers={**outlet.headers, **pdf}).status_code == 403

    per_file = client.post(url, params={"asset_id": str(one)}, content=photo_of_form(),
                           headers={**submitter.headers, "Content-Type": "image/jpeg"})
    assert per_file.status_code == 201, per_file.text
    assert per_file.json()["mime"] == "image/jpeg"
    assert per_file.json()["asset_id"] == str(one)
    states = {a: client.get(f"/api/v1/assets/{a}/consent", headers=editor.headers).json() for a in (one, two)}
    assert states[one]["effective_state"] == "on_file"
    assert states[one]["needs_confirmation"] is False
    assert states[two]["effective_state"] == "missing"

    whole = client.post(url, content=PDF, headers={**submitter.headers, **pdf})
    assert whole.status_code == 201, whole.text
    assert client.get(f"/api/v1/assets/{two}/consent", headers=editor.headers).json()["effective_state"] == "on_file"
    listed = client.get(url, headers=editor.headers).json()
    assert {d["id"] for d in listed} == {per_file.json()["id"], whole.json()["id"]}
    assert client.get(url, headers=stranger.headers).status_code == 404
    document = f"/api/v1/consent-documents/{whole.json()['id']}/file"
    got = client.get(document, headers=editor.headers)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert "no-store" in got.headers["cache-control"]
    assert client.get(document, headers=submitter.headers).status_code == 200
    assert client.get(document, headers=stranger.headers).status_code == 404
    assert client.get(document, headers=outlet.headers).status_code == 403
    keys = get_storage().list_keys(f"consent/{submission}/")
    assert len(keys) == 2
    assert all(not k.startswith(("delivery/", "packages/")) for k in keys)
    assert audit_actions(uuid.UUID(whole.json()["id"])) == ["consent.document_upload", "consent.document_view",
                                                              "consent.document_view"]
