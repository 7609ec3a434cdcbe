"""Campaign retention against the real stack: policy (audited), dry run (API and CLI), refusals (not due, legal
hold), and the run through the one purge path: afterwards no object, row or package holds a purged file."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from service.cli import app as cli_app
from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.org import Role
from service.db.screening import Finding
from service.db.takedown import Takedown
from tests.integration.portal_support import Desk, desk, release, released_asset
from tests.integration.test_consent import PDF
from tests.integration.test_takedown import traces
from tests.integration.test_takedown_during_build import every_zip_of, make_package, package_row, zip_assets
from tests.support import make_actor, set_campaign


def after_the_week(d: Desk) -> None:
    set_campaign(d.campaign, week_start=date(2023, 5, 14), week_end=date(2023, 5, 20),
                 summary_deadline=date(2023, 5, 27))


def set_policy(client: TestClient, d: Desk, admin: Any, **policy: Any) -> dict[str, Any]:
    response = client.put(f"/api/v1/campaigns/{d.campaign}/retention", json={"months": 3, **policy},
                          headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_policy_dry_run_and_run_keep_what_the_policy_keeps(client: TestClient) -> None:
    from workers.retention import run_retention

    d, admin = desk(), make_actor(Role.admin)
    after_the_week(d)
    shown, featured = released_asset(d), released_asset(d)
    release(client, d.editor, [shown])
    pending, rejected = released_asset(d, review_status="pending"), released_asset(d, review_status="rejected")
    held = released_asset(d, review_status="pending")
    with session_scope() as session:  # OCR text that must go with it
        session.add(Finding(asset_id=pending, detector="text", label="phone", score=0.9,
                            detail={"text": "张三 13812345678", "source": "ocr"}))
    with session_scope() as session:
        pending_submission = session.get(Asset, pending).submission_id  # type: ignore[union-attr]
    form = client.post(f"/api/v1/submissions/{pending_submission}/consent-documents",
                       params={"asset_id": str(pending)}, content=PDF,
                       headers={**d.submitter.headers, "Content-Type": "application/pdf"})
    assert form.status_code == 201, form.text
    hold = client.post(f"/api/v1/assets/{held}/takedown", json={"reason": "诉讼保全", "legal_hold": True},
                       headers=d.editor.headers)
    assert hold.status_code == 201

    url = f"/api/v1/campaigns/{d.campaign}/retention"
    assert client.get(url, headers=admin.headers).status_code == 404  # no policy yet
    assert client.put(url, json={"months": 3}, headers=d.editor.headers).status_code == 403
    assert client.put(url, json={"months": 0}, headers=admin.headers).status_code == 422
    policy = set_policy(client, d, admin)
    assert policy["cutoff"] == "2023-08-27"
    assert policy["keep_featured"]
    assert policy["keep_released"]

    report = client.get(f"{url}/dry-run", headers=admin.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["due"] is True
    assert body["counts"] == {"total": 5, "to_delete": 2, "kept_featured": 2, "kept_released": 0, "in_takedown": 1}
    assert {item["asset_id"] for item in body["items"]} == {str(pending), str(rejected)}
    assert body["bytes_to_delete"] > 0
    with session_scope() as session:  # a dry run deletes nothing
        assert session.get(Asset, pending) is not None

    cli = CliRunner().invoke(cli_app,
                             ["retention", "--campaign", str(d.campaign), "--dry-run", "--json"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["counts"]["to_delete"] == 2

    started = client.post(f"{url}/run", headers=admin.headers)
    assert started.status_code == 202, started.text
    assert started.json()["to_delete"] == 2
    run_retention(d.campaign)  # what the queued task does (in-process here; a session worker may race it)
    for gone in (pending, rejected):
        assert traces(gone) == {}
    for kept in (shown, featured, held):
        assert traces(kept)
    assert get_storage().list_keys(f"consent/{pending_submission}/") == []
    with session_scope() as session:
        records = session.scalars(select(Takedown).where(Takedown.asset_id.in_([pending, rejected]))).all()
        assert {r.purge_kind for r in records} == {"retention"}
        assert {r.status for r in records} == {"purged"}
        assert "13812345678" not in str([r.summary for r in records])
        actions = session.scalars(select(AuditLog.action).where(AuditLog.target_id == d.campaign)).all()
        assert actions.count("retention.policy_edit") == 1
        assert "retention.run" in actions
    again = client.get(f"{url}/dry-run", headers=admin.headers).json()
    assert again["counts"]["to_delete"] == 0  # run twice: nothing more goes
    assert run_retention(d.campaign)["purged"] == 0


def test_refused_before_the_cutoff_and_under_legal_hold(client: TestClient) -> None:

    d, admin = desk(), make_actor(Role.admin)
    after_the_week(d)
    released_asset(d, review_status="pending")
    url = f"/api/v1/campaigns/{d.campaign}/retention"
    assert client.post(f"{url}/run", headers=admin.headers).json()["code"] == "no_retention_policy"
    set_policy(client, d, admin, months=240)
    refused = client.post(f"{url}/run", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "retention_not_due"
    assert client.get(f"{url}/dry-run", headers=admin.headers).json()["due"] is False
    set_policy(client, d, admin, legal_hold=True)
    held = client.post(f"{url}/run", headers=admin.headers)
    assert held.status_code == 409
    assert held.json()["code"] == "legal_hold"
    assert client.post(f"{url}/run", headers=d.editor.headers).status_code == 403


def test_a_purged_release_leaves_no_package_holding_it(client: TestClient) -> None:
    """Keep nothing: a released file goes too, and the package that held it is rebuilt without it."""
    import workers.packages as packages
    from workers.retention import run_retention

    d, admin = desk(), make_actor(Role.admin)
    after_the_week(d)
    gone = released_asset(d)
    collection = release(client, d.editor, [gone])
    package_id = make_package(d, collection["id"], [gone])
    packages.build(package_id)
    assert zip_assets(package_row(package_id).key or "") == {str(gone)}
    set_policy(client, d, admin, keep_featured=False, keep_released=False)
    assert run_retention(d.campaign)["purged"] == 1
    packages.build(package_id)  # the rebuild the purge queued
    assert traces(gone) == {}
    assert all(str(gone) not in held for held in every_zip_of(package_id).values())


def test_the_retention_sweep_is_beat_scheduled_on_the_default_queue() -> None:
    from workers.celery_app import app

    entry = app.conf.beat_schedule["retention-sweep"]
    assert entry["task"] == "retention.sweep"
    assert entry["options"]["queue"] == "default"
    app.loader.import_default_modules()
    assert {"retention.sweep", "retention.run_campaign"} <= set(app.tasks)
