"""Round two, bad input (docs/SECURITY.md): no 500s, bounded dates, no control characters, forms clean like the API."""


from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.asset import Asset
from service.db.org import Organization, Role
from service.db.submission import Submission
from tests.security.probe_support import PASSWORD, _problem, _stored_submission
from tests.support import (
    make_actor,
    make_campaign,
    make_ready_asset,
    make_submission,
    web_login,
)

pytestmark = pytest.mark.security


# 6. no 500s; every error problem+json with a request id; bounded dates; no control characters ------------------------


QUEUE_ATTACKS = [{"region": "²²"}, {"region": "٣٧"}, {"captured_to": "9999-12-31"}, {"uploaded_to": "9999-12-31"},
                 {"captured_from": "0001-01-01"}, {"q": "焊接\x00"}, {"tag": "a\x00"}, {"q": "\x1b[31m"}]


@pytest.mark.parametrize("params", QUEUE_ATTACKS, ids=lambda p: next(iter(p)) + "=" + repr(next(iter(p.values()))))
def test_review_queue_refuses_bad_filters_with_a_problem(client: TestClient, params: dict[str, str]) -> None:
    editor = make_actor(Role.editor)
    _problem(client.get("/api/v1/review/queue", params=params, headers=editor.headers), 422)


@pytest.mark.parametrize("params", [{"region": "²²"}, {"date_to": "9999-12-31"}, {"date_from": "9999-12-31"},
                                    {"q": "a\x00b"}, {"tag": "\x00"}], ids=repr)
def test_portal_search_refuses_bad_filters_with_a_problem(client: TestClient, params: dict[str, str]) -> None:
    outlet = make_actor(Role.outlet)
    _problem(client.get("/api/v1/portal/assets", params=params, headers=outlet.headers), 422)


def test_pages_refuse_control_characters_and_survive_bad_filters(servers: EmbeddedServers) -> None:
    from service.app import create_app

    editor = make_actor(Role.editor, password=PASSWORD)
    with TestClient(create_app(), client=("203.0.113.141", 40000)) as browser:
        for path in ("/portal", "/review", "/login"):
            _problem(browser.get(path, params={"q": "x\x00"}), 422)
        web_login(browser, editor.username, PASSWORD)
        for params in ({"region": "²²"}, {"captured_to": "9999-12-31"}, {"uploaded_to": "9999-12-31"}):
            assert browser.get("/review", params=params).status_code < 500, params
        assert browser.get("/portal", params={"region": "²²"}).status_code < 500


def test_collection_release_at_past_year_9999_is_refused(client: TestClient) -> None:
    editor = make_actor(Role.editor)
    body = {"title": "溢出", "release_at": "9999-12-31T23:59:59-12:00"}
    assert _problem(client.post("/api/v1/collections", json=body, headers=editor.headers), 422)["errors"]
    created = client.post("/api/v1/collections", json={"title": "正常"}, headers=editor.headers)
    assert created.status_code == 201
    patched = client.patch(f"/api/v1/collections/{created.json()['id']}", headers=editor.headers,
                           json={"embargo_until": "9999-12-31T23:59:59-12:00"})
    _problem(patched, 422)
    assert client.get("/api/v1/collections", headers=editor.headers).status_code == 200


def test_nul_and_control_characters_never_reach_the_database(client: TestClient) -> None:
    from service.app import create_app

    submitter = make_actor(Role.submitter)
    editor = make_actor(Role.editor, password=PASSWORD)
    submission = make_submission(submitter, make_campaign())
    asset = make_ready_asset(submission)
    tagged = client.post(f"/api/v1/assets/{asset}/tags", json={"name": "焊\x00接"}, headers=editor.headers)
    assert tagged.status_code == 201, tagged.text
    assert "焊接" in [t["name"] for t in tagged.json()["tags"]]
    _problem(client.post(f"/api/v1/assets/{asset}/tags", json={"name": "\x00"}, headers=editor.headers), 422)
    saved = client.post("/api/v1/review/filters", headers=editor.headers,
                        json={"name": "过滤\x00", "query": {"q": "焊接\x00"}})
    assert saved.status_code < 500, saved.text
    with TestClient(create_app(), client=("203.0.113.142", 40000)) as browser:
        token = web_login(browser, editor.username, PASSWORD)
        response = browser.post(f"/review/assets/{asset}/edit", follow_redirects=False, data={
            "csrf_token": token, "caption": "说明\x00第一行\u2028第二行\x1b[31m", "credit": "署名\x07",
            "add_tags": "实训\x00基地"})
        assert response.status_code == 303, response.text[:300]
    with session_scope() as session:
        stored = session.get(Asset, asset)
        assert stored is not None
        assert stored.caption == "说明第一行\n第二行[31m"
        assert stored.credit == "署名"


def test_an_unexpected_error_is_problem_json_with_the_request_id(servers: EmbeddedServers) -> None:
    from service.app import create_app

    app: FastAPI = create_app()

    @app.get("/api/v1/_probe_boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/_probe_boom", headers={"X-Request-ID": "probe-round-two-1"})
    body = _problem(response, 500)
    assert body["code"] == "internal_error"
    assert body["request_id"] == response.headers["x-request-id"] == "probe-round-two-1"
    assert "a bug" not in response.text


def test_exif_dates_past_the_range_are_no_dates() -> None:
    from service.core.exif import capture_time
    from workers.video_probe import _creation_time

    assert capture_time("9999:12:31 23:59:59", "-12:00") is None
    assert capture_time("2023:05:15 09:30:00", "+08:00") is not None
    assert _creation_time("9999-12-31T23:59:59-12:00") is None
    assert capture_time("2023:05:15 09:30:00\x00\x1b", None) is not None


# 12. the web form stores what the API would --------------------------------------------------------------------------


def test_web_edit_form_cleans_like_the_api(servers: EmbeddedServers) -> None:
    from service.app import create_app
    from service.db.credits import credits_for

    submitter = make_actor(Role.submitter, password=PASSWORD)
    submission = make_submission(submitter, make_campaign())
    asset_id = make_ready_asset(submission)
    dirty = "第一行\u2028第二行\x1b[31m红色\x00"
    with TestClient(create_app(), client=("203.0.113.143", 40000)) as browser:
        token = web_login(browser, submitter.username, PASSWORD)
        response = browser.post(f"/submissions/{submission}/edit", follow_redirects=False, data={
            "csrf_token": token, "title": "标题\u2029\x1b]0;x\x07", "category": "activity_photos",
            "description": dirty, "credits": "署名\u200e\u202e", "place": "济南\x00"})
        assert response.status_code == 303, response.text[:300]
    stored = _stored_submission(submission)
    assert (stored.title, stored.description, stored.credits, stored.place) == \
        ("标题 ]0;x", "第一行\n第二行[31m红色", "署名", "济南")
    # Rows stored before the rule existed are cleaned again on their way into IPTC, XMP and captions.csv.
    with session_scope() as session:
        row = session.get(Submission, submission)
        assert row is not None
        row.title, row.credits = "旧\x1b[0m标题\u2028", "旧署名\x07"  # (PostgreSQL itself refuses NUL)
        session.flush()
        asset = session.get(Asset, asset_id)
        org = session.get(Organization, row.org_id)
        assert asset is not None
        assert org is not None
        credits = credits_for(asset, row, org, copyright_notice="版权\x00")
        session.rollback()
    assert (credits.headline, credits.byline, credits.copyright) == ("旧[0m标题", "旧署名", "版权")
