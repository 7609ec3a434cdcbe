"""Consent, delivery switches and retention on the server-rendered pages (real stack, cookie sessions + CSRF)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.org import Role
from service.db.portal import Collection
from service.db.retention import RetentionPolicy
from tests.integration.test_consent import PDF, with_faces
from tests.support import (
    make_actor,
    make_campaign,
    make_ready_asset,
    make_released_asset,
    make_submission,
    set_campaign,
    web_login,
)

PASSWORD = "correct-horse-battery"


def test_editor_sees_consent_confirms_featuring_and_edits_it(client: TestClient) -> None:
    editor, submitter = make_actor(Role.editor, password=PASSWORD), make_actor(Role.submitter)
    campaign = make_campaign()
    asset = make_ready_asset(make_submission(submitter, campaign))
    with_faces(asset)
    csrf = web_login(client, editor.username, PASSWORD)
    queue = client.get("/review", params={"campaign_id": str(campaign), "consent": "faces_missing"})
    assert queue.status_code == 200
    assert str(asset) in queue.text
    assert "缺授权" in queue.text
    page = client.get(f"/review/assets/{asset}")
    assert 'id="consent"' in page.text
    assert "缺少授权" in page.text
    assert 'id="consent-warning"' in page.text
    refused = client.post(f"/review/assets/{asset}/decision", data={"csrf_token": csrf, "action": "feature"})
    assert refused.status_code == 409
    assert 'id="confirm-consent-form"' in refused.text
    confirmed = client.post(f"/review/assets/{asset}/decision", follow_redirects=False,
                            data={"csrf_token": csrf, "action": "feature", "confirm_without_consent": "on"})
    assert confirmed.status_code == 303
    with session_scope() as session:
        assert session.get(Asset, asset).review_status == "featured"  # type: ignore[union-attr]
    saved = client.post(f"/review/assets/{asset}/consent", follow_redirects=False,
                        data={"csrf_token": csrf, "consent_state": "not_needed", "shows_minors": "on"})
    assert saved.status_code == 303
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        assert (row.consent_state, row.shows_minors) == ("not_needed", True)
    assert "无需授权" in client.get(f"/review/assets/{asset}").text


def test_submitter_uploads_a_form_and_declares_minors(client: TestClient) -> None:
    submitter = make_actor(Role.submitter, password=PASSWORD)
    campaign = make_campaign()
    submission = make_submission(submitter, campaign)
    asset = make_ready_asset(submission, filename="合影.jpg")
    csrf = web_login(client, submitter.username, PASSWORD)
    page = client.get(f"/submissions/{submission}")
    assert 'id="consent-upload"' in page.text
    assert "合影.jpg" in page.text
    bad = client.post(f"/submissions/{submission}/consent-documents", data={"csrf_token": csrf},
                      files={"file": ("form.pdf", b"not a pdf at all", "application/pdf")})
    assert bad.status_code == 415
    assert "授权书须为 PDF" in bad.text
    good = client.post(f"/submissions/{submission}/consent-documents", follow_redirects=False,
                       data={"csrf_token": csrf, "asset_id": str(asset)},
                       files={"file": ("form.pdf", PDF, "application/pdf")})
    assert good.status_code == 303, good.text
    assert "授权已存档" in client.get(f"/submissions/{submission}").text
    minors = client.post(f"/submissions/{submission}/consent", follow_redirects=False,
                         data={"csrf_token": csrf, "shows_minors": [str(asset)]})
    assert minors.status_code == 303
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        assert (row.consent_state, row.shows_minors) == ("on_file", True)


def test_collection_page_switches_are_recorded_and_release_asks_to_confirm(client: TestClient) -> None:
    editor, submitter = make_actor(Role.editor, password=PASSWORD), make_actor(Role.submitter)
    campaign = make_campaign()
    asset = make_released_asset(submitter, campaign)
    with_faces(asset)
    with session_scope() as session:
        row = session.get(Asset, asset)
        assert row is not None
        row.consent_state = "missing"  # type: ignore[assignment]
    csrf = web_login(client, editor.username, PASSWORD)
    when = (datetime.now(UTC) + timedelta(hours=8) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    released_now = client.post("/collections", data={"csrf_token": csrf, "title": "即时发布", "release_at": when,
                                                      "asset_id": [str(asset)]})
    assert released_now.status_code == 409  # created already released: the list page asks to confirm
    assert 'id="confirm-consent"' in released_now.text
    assert when in released_now.text
    confirmed = client.post("/collections", follow_redirects=False, data={
        "csrf_token": csrf, "title": "即时发布", "release_at": when, "asset_id": [str(asset)],
        "confirm_without_consent": "on"})
    assert confirmed.status_code == 303, confirmed.text
    created = client.post("/collections", follow_redirects=False,
                          data={"csrf_token": csrf, "title": "草稿专题", "asset_id": [str(asset)]})
    assert created.status_code == 303, created.text
    collection = created.headers["location"].split("/")[2].split("?")[0]
    page = client.get(f"/collections/{collection}")
    assert 'id="keep-location"' in page.text
    assert 'id="deliver-untouched"' in page.text
    assert "EXIF" in page.text  # the warning
    form = {"csrf_token": csrf, "action": "save", "release_at": when, "keep_location": "on"}
    refused = client.post(f"/collections/{collection}", data=form)
    assert refused.status_code == 409
    assert 'id="confirm-consent-form"' in refused.text
    with session_scope() as session:
        row = session.get(Collection, uuid.UUID(collection))
        assert row is not None
        assert row.release_at is None
        assert row.keep_location is False
    done = client.post(f"/collections/{collection}", follow_redirects=False,
                       data={**form, "confirm_without_consent": "on"})
    assert done.status_code == 303
    with session_scope() as session:
        row = session.get(Collection, uuid.UUID(collection))
        assert row is not None
        assert row.release_at is not None
        assert row.keep_location is True
        assert row.keep_location_by == editor.user_id
        actions = set(session.scalars(select(AuditLog.action).where(AuditLog.actor_id == editor.user_id)))
        assert {"collection.keep_location", "consent.override"} <= actions


def test_admin_retention_page(client: TestClient) -> None:
    admin, editor = make_actor(Role.admin, password=PASSWORD), make_actor(Role.editor, password=PASSWORD)
    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    set_campaign(campaign, week_start=date(2023, 5, 14), week_end=date(2023, 5, 20),
                 summary_deadline=date(2023, 5, 27))
    make_released_asset(submitter, campaign, review_status="pending")
    csrf = web_login(client, editor.username, PASSWORD)
    assert client.get("/admin/retention").status_code == 403
    client.cookies.clear()
    csrf = web_login(client, admin.username, PASSWORD)
    page = client.get("/admin/retention", params={"campaign_id": str(campaign)})
    assert page.status_code == 200
    assert "尚未设置策略" in page.text
    bad = client.post(f"/admin/retention/{campaign}", data={"csrf_token": csrf, "months": "0"})
    assert bad.status_code == 422
    saved = client.post(f"/admin/retention/{campaign}", follow_redirects=False,
                        data={"csrf_token": csrf, "months": "6", "anchor": "week_end", "keep_featured": "on"})
    assert saved.status_code == 303
    with session_scope() as session:
        policy = session.scalar(select(RetentionPolicy).where(RetentionPolicy.campaign_id == campaign))
        assert policy is not None
        assert (policy.months, policy.anchor, policy.keep_featured, policy.keep_released) == (6, "week_end", True,
                                                                                              False)
    report = client.get("/admin/retention", params={"campaign_id": str(campaign)})
    assert 'id="count-to_delete">1<' in report.text
    assert "2023-11-20" in report.text
    assert 'id="run-form"' in report.text
