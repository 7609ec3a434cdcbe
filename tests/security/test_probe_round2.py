"""Round two of the outside probe (issue 14): each attack that worked against a running instance, replayed here, and
now failing. docs/SECURITY.md ("Round two") lists each finding with its fix and the test below that replays it."""

from __future__ import annotations

import csv
import io
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Organization, Role
from service.db.submission import Submission
from tests.integration.portal_support import desk, release, released_asset
from tests.load.media import photo
from tests.support import (
    ROOT,
    LiveAPI,
    make_actor,
    make_asset,
    make_campaign,
    make_ready_asset,
    make_released_asset,
    make_submission,
    web_login,
)

pytestmark = pytest.mark.security

PROBLEM = "application/problem+json"
PASSWORD = "probe-password-2026"  # noqa: S105 - a throwaway account on throwaway servers


def _submission_of(asset_id: uuid.UUID) -> uuid.UUID:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return asset.submission_id


def _stored_submission(submission_id: uuid.UUID) -> Submission:
    with session_scope() as session:
        found = session.get(Submission, submission_id)
        assert found is not None
        session.expunge(found)
        return found


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["request_id"], body
    return body


# 1. released material is frozen --------------------------------------------------------------------------------------


def test_submitter_cannot_rewrite_released_material(client: TestClient) -> None:
    d = desk()
    asset = released_asset(d)  # featured by an editor
    release(client, d.editor, [asset])
    submission = _submission_of(asset)
    before = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()

    attack = client.patch(f"/api/v1/submissions/{submission}", headers=d.submitter.headers,
                          json={"title": "篡改后的标题", "description": "篡改后的说明", "credits": "@SUM(1+1)"})
    assert _problem(attack, 409)["code"] == "released_frozen"
    after = client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()
    assert (after["headline"], after["caption"], after["credit"]) == \
        (before["headline"], before["caption"], before["credit"])
    assert _stored_submission(submission).title == before["headline"]  # what the next download's IPTC is made from

    # Fields outlets never see stay editable, and the desk can still correct what they do see.
    assert client.patch(f"/api/v1/submissions/{submission}", headers=d.submitter.headers,
                        json={"activity": "开放校园"}).status_code == 200
    fixed = client.patch(f"/api/v1/submissions/{submission}", headers=d.editor.headers,
                         json={"title": "编辑更正的标题"})
    assert fixed.status_code == 200, fixed.text
    assert client.get(f"/api/v1/portal/assets/{asset}", headers=d.outlet.headers).json()["headline"] == "编辑更正的标题"


def test_unreleased_material_stays_editable_and_the_web_form_refuses_too(servers: EmbeddedServers) -> None:
    from service.app import create_app

    submitter = make_actor(Role.submitter, password=PASSWORD)
    campaign = make_campaign()
    pending = _submission_of(make_released_asset(submitter, campaign, review_status="pending"))
    featured = _submission_of(make_released_asset(submitter, campaign, title="已精选的标题"))
    with TestClient(create_app(), client=("203.0.113.140", 40000)) as browser:
        token = web_login(browser, submitter.username, PASSWORD)
        form = {"csrf_token": token, "title": "新标题", "category": "activity_photos", "description": "新说明"}
        assert browser.post(f"/submissions/{pending}/edit", data=form, follow_redirects=False).status_code == 303
        refused = browser.post(f"/submissions/{featured}/edit", data=form, follow_redirects=False)
    assert refused.status_code == 409
    assert "冻结" in refused.text
    assert _stored_submission(pending).title == "新标题"
    assert _stored_submission(featured).title == "已精选的标题"


# 2. formula injection in packages ------------------------------------------------------------------------------------


def test_package_captions_csv_cannot_carry_formulas(client: TestClient) -> None:
    from service.core.storage import get_storage
    from service.db.portal import Package
    from workers.packages import build

    d = desk()
    asset = released_asset(d, title='=HYPERLINK("http://evil.example","点击")', caption="+cmd|' /C calc'!A0",
                           credit="@SUM(1+1)", place="-2+3")
    release(client, d.editor, [asset])
    response = client.post("/api/v1/portal/packages", json={"asset_ids": [str(asset)], "rendition": "web"},
                           headers=d.outlet.headers)
    package_id = uuid.UUID(response.json()["id"])
    build(package_id)  # in-process: the function the worker task runs
    with session_scope() as session:
        package = session.get(Package, package_id)
        assert package is not None
        assert package.key
        key = package.key
    archive = zipfile.ZipFile(io.BytesIO(get_storage().get_bytes(key)))
    rows = list(csv.DictReader(io.StringIO(archive.read("captions.csv").decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    for column in ("headline", "caption", "credit", "byline", "place"):
        assert row[column].startswith("'"), f"{column} would run as a formula: {row[column]!r}"
    assert row["headline"] == "'" + '=HYPERLINK("http://evil.example","点击")'


def test_every_csv_the_service_writes_uses_the_one_writer() -> None:
    from service.core.csvfile import csv_bytes
    from service.reports.export import to_csv as report_csv
    from service.review.dashboard import EXPORT_COLUMNS
    from service.review.dashboard import to_csv as review_csv

    nasty = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", 3]
    for body in (csv_bytes(["a"] * len(nasty), [nasty]), report_csv(["a"] * len(nasty), [nasty]),
                 review_csv([nasty + [""] * (len(EXPORT_COLUMNS) - len(nasty))])):
        cells = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1]
        assert [c[:1] for c in cells[:6]] == ["'"] * 6, cells
        assert cells[6:8] == ["plain", "3"]
    # No other module writes CSV on its own (the one writer is service/core/csvfile.py).
    writers = sorted(str(path.relative_to(ROOT)) for folder in ("service", "workers")
                     for path in (ROOT / folder).rglob("*.py")
                     if re.search(r"csv\.(writer|DictWriter)\(", path.read_text()))
    assert writers == ["service/core/csvfile.py"], writers


# 3. the client's address comes from the connection, or from a proxy we trust -----------------------------------------


def test_forwarded_for_from_an_untrusted_client_does_not_reset_limits(servers: EmbeddedServers) -> None:
    from service.app import create_app
    from service.core.config import get_settings

    limit = get_settings().token_failure_limit_per_minute
    with TestClient(create_app(), client=("203.0.113.120", 40000)) as attacker:
        codes = [attacker.get("/api/v1/submissions", headers={"Authorization": f"Bearer mdk_guess{i:04d}",
                                                               "X-Forwarded-For": f"198.51.100.{i % 250}"}).status_code
                 for i in range(limit + 3)]
    assert codes[-1] == 429, codes


def test_a_trusted_proxy_names_the_client_and_only_its_own_hop_counts(child_env: dict[str, str],
                                                                       logs_dir: Path) -> None:
    """A real uvicorn (``--no-proxy-headers``) behind a proxy on 127.0.0.1: the proxy appends the client's address;
    whatever the client wrote to the left of it changes nothing."""
    env = child_env | {"MEDIADESK_TRUSTED_PROXIES": "127.0.0.1", "MEDIADESK_TOKEN_FAILURE_LIMIT_PER_MINUTE": "4"}
    api = LiveAPI(env, logs_dir).start()
    client_ip = f"198.51.100.{uuid.uuid4().int % 200 + 20}"
    try:
        with httpx.Client(base_url=api.url, timeout=30) as proxy:
            codes = [proxy.get("/api/v1/submissions", headers={
                "Authorization": f"Bearer mdk_guess{i:04d}",
                "X-Forwarded-For": f"10.9.8.{i}, {client_ip}"}).status_code for i in range(6)]
            assert codes[-1] == 429, codes
            neighbour = proxy.get("/api/v1/submissions", headers={"Authorization": "Bearer mdk_guess",
                                                                   "X-Forwarded-For": "198.51.100.3"})
            assert neighbour.status_code == 401  # another real client is not punished for this one
    finally:
        api.stop()


def test_client_address_rules() -> None:
    from service.core.clientaddr import parse_networks, resolve

    none = parse_networks("")
    proxies = parse_networks("10.0.0.0/8, 172.30.255.0/24")
    assert resolve("203.0.113.9", ["1.2.3.4"], none) == "203.0.113.9"
    assert resolve("203.0.113.9", ["1.2.3.4"], proxies) == "203.0.113.9"  # not from a proxy: header ignored
    assert resolve("172.30.255.2", ["1.2.3.4, 203.0.113.9"], proxies) == "203.0.113.9"
    assert resolve("172.30.255.2", ["203.0.113.9, 10.1.1.1"], proxies) == "203.0.113.9"  # through two proxies
    assert resolve("172.30.255.2", ["not-an-ip"], proxies) == "172.30.255.2"
    # A server that rewrote the peer from the header itself (uvicorn --proxy-headers: port 0) is not believed.
    from starlette.requests import Request

    from service.core.clientaddr import UNVERIFIED, client_address

    def request(client: tuple[str, int], xff: str | None) -> Request:
        headers = [(b"x-forwarded-for", xff.encode())] if xff else []
        return Request({"type": "http", "client": client, "headers": headers, "method": "GET", "path": "/"})

    assert client_address(request(("198.51.100.9", 0), "198.51.100.9")) == UNVERIFIED
    assert client_address(request(("198.51.100.9", 51234), "1.2.3.4")) == "198.51.100.9"
    assert client_address(request(("198.51.100.9", 0), None)) == "198.51.100.9"
    from service.core.config import Settings

    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies="*")


def test_deploy_files_trust_a_named_proxy_network_only() -> None:
    for name in ("infra/Dockerfile", "infra/k8s/api.yaml"):
        text = (ROOT / name).read_text()
        assert '"--forwarded-allow-ips", "*"' not in text, name
    for name in ("infra/Dockerfile", "infra/k8s/api.yaml"):
        assert "--no-proxy-headers" in (ROOT / name).read_text(), name
    assert "MEDIADESK_TRUSTED_PROXIES: 172.30.255.0/24" in (ROOT / "infra/compose.yaml").read_text()
    assert "MEDIADESK_TRUSTED_PROXIES:" in (ROOT / "infra/k8s/configmap.yaml").read_text()


# 4. the login limit keys on the name the lookup uses -----------------------------------------------------------------


def _login(browser: TestClient, username: str, password: str) -> int:
    from tests.support import csrf_from

    token = csrf_from(browser.get("/login").text)
    return browser.post("/login", data={"username": username, "password": password, "csrf_token": token},
                        follow_redirects=False).status_code


def test_login_limit_cannot_be_dodged_by_spelling_the_name_differently(servers: EmbeddedServers) -> None:
    from service.app import create_app
    from service.core.config import get_settings

    user = make_actor(Role.submitter, password=PASSWORD)
    name = user.username
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    spellings = [f" {name}", f"\t{name}", name.upper(), fullwidth, f"{name} "]
    limit = get_settings().login_rate_limit_per_minute
    with TestClient(create_app(), client=("203.0.113.130", 40000)) as attacker:
        codes = [_login(attacker, spellings[i % len(spellings)], f"wrong-{i}") for i in range(limit)]
        assert codes == [401] * limit
        assert _login(attacker, spellings[0], "wrong-again") == 429
        assert _login(attacker, name, PASSWORD) == 429  # a guess that hits is not confirmed either
    with TestClient(create_app(), client=("203.0.113.131", 40000)) as owner:
        assert _login(owner, f"  {name.upper()} ", PASSWORD) == 303  # one account, however it is typed


def test_login_is_limited_per_address_across_names(servers: EmbeddedServers) -> None:
    from service.app import create_app
    from service.core.config import get_settings

    per_address = get_settings().login_rate_limit_per_address_per_minute
    with TestClient(create_app(), client=("203.0.113.132", 40000)) as sprayer:
        codes = [_login(sprayer, f"nobody-{uuid.uuid4().hex[:8]}", "Password1") for _ in range(per_address + 1)]
    assert codes[:per_address] == [401] * per_address
    assert codes[-1] == 429


def test_colleagues_behind_one_address_can_all_sign_in(servers: EmbeddedServers) -> None:
    """Only failed attempts count per address: a school's staff behind one NAT address are not a password spray."""
    from service.app import create_app
    from service.core.config import get_settings

    per_address = get_settings().login_rate_limit_per_address_per_minute
    staff = [make_actor(Role.submitter, password=PASSWORD) for _ in range(3)]
    with TestClient(create_app(), client=("203.0.113.134", 40000)) as office:
        codes = [_login(office, staff[i % len(staff)].username, PASSWORD) for i in range(per_address + 2)]
        assert set(codes) == {303}, codes
        failures = [_login(office, f"nobody-{uuid.uuid4().hex[:8]}", "Password1") for _ in range(per_address + 1)]
    assert failures[-1] == 429  # the per-address limit still holds for failures


def test_unknown_user_costs_as_much_as_a_wrong_password(servers: EmbeddedServers) -> None:
    from service.app import create_app

    user = make_actor(Role.submitter, password=PASSWORD)
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    with TestClient(create_app(), client=("203.0.113.133", 40000)) as prober:
        _login(prober, "warm-up", "x")
        for i in range(4):
            for kind, name in (("unknown", f"ghost-{uuid.uuid4().hex[:8]}"), ("wrong", user.username)):
                start = time.perf_counter()
                assert _login(prober, name, f"wrong-{i}") == 401
                timings[kind].append(time.perf_counter() - start)
    unknown, wrong = statistics.median(timings["unknown"]), statistics.median(timings["wrong"])
    assert unknown > 0.6 * wrong, f"unknown user answered in {unknown:.3f}s, a wrong password in {wrong:.3f}s"


# 5. production refuses known secrets; demo users only in development -------------------------------------------------


def _example_values() -> dict[str, str]:
    values = {}
    for line in (ROOT / "infra" / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_production_refuses_every_example_and_weak_value() -> None:
    import secrets

    from service.core.config import Settings, placeholder

    good = {"env": "production", "secret_key": secrets.token_hex(32), "database_url": "postgresql://db/x",
            "redis_url": "redis://r:6379/0", "s3_endpoint": "s3:9000", "s3_access_key": "app-" + secrets.token_hex(4),
            "s3_secret_key": secrets.token_urlsafe(30)}
    assert Settings(**good).env == "production"
    values = _example_values()
    assert len(values) >= 10
    for key, value in values.items():
        assert placeholder(value) or "change-me" in value, f"{key}={value} is not known to the production check"
        for field in ("secret_key", "s3_secret_key"):
            with pytest.raises(ValidationError):
                Settings(**good | {field: value})
        if any(word in key for word in ("USER", "PASSWORD", "KEY", "AUTH")):
            with pytest.raises(ValidationError):
                Settings(**good | {"s3_access_key": value})
            with pytest.raises(ValidationError, match="placeholder password"):
                Settings(**good | {"database_url": f"postgresql+psycopg://mediadesk:{value}@db:5432/x"})
    for weak in ("x" * 64, "ab" * 32, "0123456789" * 4, "change-me-" + secrets.token_hex(32)):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(**good | {"secret_key": weak})


@pytest.mark.parametrize("env", ["test", "production"])
def test_demo_seed_is_refused_outside_development(servers: EmbeddedServers, env: str) -> None:
    result = subprocess.run([sys.executable, "-m", "service.cli", "demo", "seed"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "MEDIADESK_ENV": env})
    assert result.returncode != 0, result.stdout
    assert "tokens" not in result.stdout
    if env == "test":
        assert "development" in result.stderr


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


# 8. submitters never see another organisation's ids ------------------------------------------------------------------


def _verified_copy(actor: Any, campaign: uuid.UUID, data: bytes) -> uuid.UUID:
    from workers.steps.verify import verify

    asset_id = make_asset(actor, campaign, data, "copy.jpg", first_step="verify", queue=False)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        verify(session, asset, Job(asset_id=asset_id, step="verify", status=JobStatus.running))
    return asset_id


def test_a_copy_of_another_organisations_file_reveals_no_ids(client: TestClient) -> None:
    from service.db.screening import AssetScreening, DuplicateCluster

    campaign = make_campaign()
    owner, copier, editor = make_actor(Role.submitter), make_actor(Role.submitter), make_actor(Role.editor)
    data = photo(64, 48, seed=uuid.uuid4().int % 10_000)
    original = _verified_copy(owner, campaign, data)
    copy = _verified_copy(copier, campaign, data)
    with session_scope() as session:
        cluster = DuplicateCluster(best_asset_id=original, size=2)
        session.add(cluster)
        session.flush()
        for member in (original, copy):
            session.add(AssetScreening(asset_id=member, cluster_id=cluster.id))
    response = client.get(f"/api/v1/assets/{copy}", headers=copier.headers)
    mine = response.json()
    assert mine["exact_of"] is None
    duplicates = mine["duplicates"]
    assert (duplicates["exact_of"], duplicates["copy_elsewhere"]) == (None, True)
    assert (duplicates["best_asset_id"], duplicates["cluster_size"]) == (None, 2)
    assert str(original) not in response.text
    listed = client.get("/api/v1/assets", params={"campaign_id": str(campaign)}, headers=copier.headers).text
    assert str(copy) in listed
    assert str(original) not in listed
    # The owner of the best shot sees its own id; the editor sees everything.
    assert client.get(f"/api/v1/assets/{original}", headers=owner.headers).json()["duplicates"]["best_asset_id"] == \
        str(original)
    seen = client.get(f"/api/v1/assets/{copy}", headers=editor.headers).json()
    assert seen["exact_of"] == str(original)
    assert seen["duplicates"]["best_asset_id"] == str(original)


# 10. download redirects expire within a minute -----------------------------------------------------------------------


def test_download_redirects_expire_within_a_minute(client: TestClient) -> None:
    from service.core.config import Settings

    submitter = make_actor(Role.submitter)
    asset = make_released_asset(submitter, make_campaign(), review_status="pending")
    for path in (f"/api/v1/assets/{asset}/original", f"/api/v1/assets/{asset}/renditions/web"):
        response = client.get(path, headers=submitter.headers, follow_redirects=False)
        assert response.status_code == 307, response.text
        assert int(parse_qs(urlsplit(response.headers["location"]).query)["X-Amz-Expires"][0]) <= 60
    with pytest.raises(ValidationError):
        Settings(presign_ttl_seconds=300)


# 11. Content-Disposition per RFC 6266, no path parts -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [("../../etc/passwd", "passwd"),
                                                ("..\\..\\boot.ini", "boot.ini"),
                                                ("活动/照片 1.jpg", "照片 1.jpg")])
def test_original_download_names_carry_no_path(client: TestClient, name: str, expected: str) -> None:
    submitter = make_actor(Role.submitter)
    asset = make_released_asset(submitter, make_campaign(), review_status="pending", original_filename=name)
    response = client.get(f"/api/v1/assets/{asset}/original", headers=submitter.headers, follow_redirects=False)
    url = response.headers["location"]
    disposition = parse_qs(urlsplit(url).query)["response-content-disposition"][0]
    fetched = httpx.get(url, timeout=30)
    assert fetched.status_code == 200
    for header in (disposition, fetched.headers["content-disposition"]):
        assert header.startswith("attachment; filename=\""), header
        star = header.split("filename*=UTF-8''", 1)[1]
        assert unquote(star) == expected, header
        assert not {"/", "\\"} & set(unquote(star))
        plain = header.split('filename="', 1)[1].split('"', 1)[0]
        assert plain.isascii(), header
        assert "/" not in plain, header
        assert ".." not in plain, header


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
