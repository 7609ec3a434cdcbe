"""Security basics: secrets only from the environment, short-lived signed URLs, failed-token limits, and (where the
web workspace is present) security headers, CSP, login limits, session fixation and CSRF."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from service.core.config import get_settings
from service.core.embedded import EmbeddedServers
from service.core.storage import get_storage
from service.db.org import Role
from tests.security.world import asset_in_state
from tests.support import ROOT, make_actor, make_campaign, make_submission

pytestmark = pytest.mark.security

#: High-confidence secret shapes; a literal assigned to a secret-looking name is flagged unless justified in place.
SECRET_PATTERNS = {
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "mediadesk API token": re.compile(r"\bmdk_[A-Za-z0-9_-]{30,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "secret assignment": re.compile(
        r"""(?i)\b\w*(?:secret|password|passwd|api_key|access_key|token)\w*\s*[:=]\s*["'](?!\$|<|\.\.\.)[^"'\s]{8,}["']"""),
}
#: Reviewed exceptions: development defaults refused in production, demo and test fixtures.
JUSTIFIED = ("noqa: S105", "noqa: S106", "pragma: allowlist secret")
#: Reviewed (file, name) pairs: the embedded S3 development key, refused when MEDIADESK_ENV=production.
REVIEWED = {("service/core/config.py", "DEV_S3_ACCESS_KEY")}


def test_no_secrets_in_the_tree() -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if path.suffix in {".png", ".jpg", ".svg", ".ico", ".woff2", ".onnx", ".bin"} or not path.is_file():
            continue
        if name.startswith("tests/") and path.suffix == ".py":
            continue  # test fixtures create throwaway credentials against throwaway servers
        for number, line in enumerate(path.read_text(errors="ignore").splitlines(), 1):
            if any(mark in line for mark in JUSTIFIED) or any(
                    name == file and line.lstrip().startswith(var) for file, var in REVIEWED):
                continue
            for kind, pattern in SECRET_PATTERNS.items():
                if pattern.search(line):
                    found.append(f"{name}:{number}: {kind}")
    assert not found, "possible secrets committed (move them to the environment):\n" + "\n".join(found)


def test_production_refuses_default_secrets() -> None:
    from service.core.config import Settings

    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(env="production", database_url="postgresql://x", redis_url="redis://x", s3_endpoint="s3:9000",
                 s3_access_key="real-key", s3_secret_key="real-secret-value")


def test_original_url_is_presigned_short_lived_and_tamper_proof(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    asset_id = asset_in_state(submitter, make_submission(submitter, campaign), campaign)
    response = client.get(f"/api/v1/assets/{asset_id}/original", headers=submitter.headers, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["cache-control"] == "no-store"
    url = response.headers["location"]
    query = parse_qs(urlsplit(url).query)
    ttl = int(query["X-Amz-Expires"][0])
    assert ttl == get_settings().presign_ttl_seconds
    assert ttl <= 900, "download links must expire within minutes"
    assert httpx.get(url, timeout=30).status_code == 200
    tampered = url.replace(f"/{asset_id}/", f"/{asset_id}x/")
    assert httpx.get(tampered, timeout=30).status_code == 403
    forged = re.sub(r"X-Amz-Signature=[0-9a-f]{4}", "X-Amz-Signature=0000", url)
    assert httpx.get(forged, timeout=30).status_code == 403


def test_expired_presigned_url_is_refused(servers: EmbeddedServers) -> None:
    storage = get_storage()
    storage.put_bytes("security/expiry-probe.txt", b"probe")
    url = storage.presigned_get("security/expiry-probe.txt", ttl_seconds=1)
    time.sleep(2.5)
    assert httpx.get(url, timeout=30).status_code == 403


def test_wrong_tokens_are_rate_limited_per_address(servers: EmbeddedServers) -> None:
    from service.app import create_app

    limit = get_settings().token_failure_limit_per_minute
    good = make_actor(Role.submitter)
    # A client address of its own: the limit must not leak into the rest of the suite.
    with TestClient(create_app(), client=("203.0.113.77", 40000)) as attacker:
        codes = [attacker.get("/api/v1/submissions", headers={"Authorization": f"Bearer mdk_guess{i:04d}"})
                 for i in range(limit + 3)]
        assert [r.status_code for r in codes[:limit]] == [401] * limit
        assert codes[-1].status_code == 429
        assert int(codes[-1].headers["retry-after"]) > 0
        assert codes[-1].json()["code"] == "too_many_failed_attempts"
        # Even a valid token from that address waits out the window (a guess that hits must not be confirmed),
        # on the tus endpoints too (they authenticate on their own, before reading a body).
        assert attacker.get("/api/v1/submissions", headers=good.headers).status_code == 429
        tus = attacker.post("/api/v1/uploads", headers=good.headers | {"Tus-Resumable": "1.0.0", "Upload-Length": "1"})
        assert tus.status_code == 429
    with TestClient(create_app(), client=("203.0.113.78", 40000)) as neighbour:
        assert neighbour.get("/api/v1/submissions", headers=good.headers).status_code == 200


# --- the web workspace (cookie sessions): checked once its pages exist ------------------------------------------


def _html_paths(app_client: TestClient) -> list[str]:
    from service.app import create_app
    from tests.security.routes import route_keys

    candidates = sorted(path for method, path in route_keys(create_app())
                        if method == "GET" and "{" not in path and not path.startswith(("/api/", "/docs", "/redoc"))
                        and path not in ("/openapi.json", "/healthz", "/readyz", "/metrics"))
    pages = []
    for path in candidates:
        response = app_client.get(path, follow_redirects=True)
        if response.headers.get("content-type", "").startswith("text/html"):
            pages.append(path)
    return pages


def test_web_pages_send_security_headers_and_strict_csp(client: TestClient) -> None:
    pages = _html_paths(client)
    assert pages, "no server-rendered web page found to check (the sign-in page at least must be one)"
    for path in pages:
        response = client.get(path, follow_redirects=True)
        headers = response.headers
        csp = headers.get("content-security-policy", "")
        assert csp, f"{path}: no Content-Security-Policy"
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        script = directives.get("script-src", directives.get("default-src", []))
        assert "'unsafe-inline'" not in script, f"{path}: script-src allows inline scripts: {csp}"
        assert "*" not in script, f"{path}: script-src allows any host: {csp}"
        assert "'unsafe-eval'" not in script, f"{path}: script-src allows eval: {csp}"
        object_src = directives.get("object-src", directives.get("default-src"))
        assert object_src == ["'none'"], f"{path}: plugins (object-src) not 'none': {csp}"
        assert directives.get("frame-ancestors") in (["'none'"], ["'self'"]) or \
            headers.get("x-frame-options", "").upper() in ("DENY", "SAMEORIGIN"), f"{path}: framing allowed"
        assert headers.get("x-content-type-options") == "nosniff", path
        assert headers.get("referrer-policy"), path


def _login_path() -> str:
    from service.app import create_app
    from tests.security.routes import route_keys

    logins = sorted(path for method, path in route_keys(create_app()) if method == "POST" and "login" in path)
    assert logins, "no password login endpoint (POST …login…) in the app"
    return logins[0]


def _login(client: TestClient, path: str, username: str, password: str) -> httpx.Response:
    form = {"username": username, "password": password}
    if path.startswith("/api/"):
        return client.post(path, json=form, follow_redirects=False)
    page = client.get(path)
    token = re.search(r'name="csrf[_-]?token"\s+value="([^"]+)"', page.text)
    return client.post(path, data=form | ({"csrf_token": token.group(1)} if token else {}), follow_redirects=False)


def test_login_is_rate_limited(servers: EmbeddedServers) -> None:
    from service.app import create_app

    path = _login_path()
    user = make_actor(Role.submitter, password="correct horse battery")
    with TestClient(create_app(), client=("203.0.113.90", 40000)) as attacker:
        codes = [_login(attacker, path, user.username, f"wrong-{i}").status_code
                 for i in range(get_settings().login_rate_limit_per_minute + 2)]
    assert 429 in codes, f"no 429 after repeated wrong passwords: {codes}"


def test_login_rotates_the_session_cookie(servers: EmbeddedServers) -> None:
    """Session fixation: an id planted before login (e.g. by an attacker who visited /login) is worthless after."""
    from service.app import create_app

    path = _login_path()
    user = make_actor(Role.submitter, password="correct horse battery")
    with TestClient(create_app(), client=("203.0.113.91", 40000)) as browser:
        browser.get(path)
        planted = dict(browser.cookies)
        names = [name for name in planted if "session" in name.lower()]
        assert names, f"no pre-login session cookie to check: {planted}"
        response = _login(browser, path, user.username, "correct horse battery")
        assert response.status_code < 400, response.text
        after = dict(browser.cookies)
        set_cookie = response.headers.get("set-cookie", "").lower()
    for name in names:
        assert after.get(name), f"no {name} cookie after login"
        assert after[name] != planted[name], f"session id {name} not rotated at login"
    assert "httponly" in set_cookie, set_cookie
    assert "samesite" in set_cookie, set_cookie
    with TestClient(create_app(), client=("203.0.113.93", 40000), cookies=planted) as attacker:
        home = attacker.get("/", follow_redirects=False)
    assert home.status_code in (302, 303, 307), "the planted pre-login session was authenticated by the login"
    assert "/login" in home.headers.get("location", "")


def test_cookie_session_writes_need_csrf_token(servers: EmbeddedServers) -> None:
    from service.app import create_app

    path = _login_path()
    user = make_actor(Role.submitter, password="correct horse battery")
    campaign = make_campaign()
    with TestClient(create_app(), client=("203.0.113.92", 40000)) as browser:
        assert _login(browser, path, user.username, "correct horse battery").status_code < 400
        forged = browser.post("/api/v1/submissions", json={"campaign_id": str(campaign), "title": "CSRF"},
                              headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403, f"a cookie-authenticated write without CSRF token got {forged.status_code}"


def test_docs_mention_limits() -> None:
    text = (Path(ROOT) / "docs" / "SECURITY.md").read_text()
    for needle in ("MAX_IMAGE_PIXELS", "protocol_whitelist", "presign_ttl_seconds", "pip-audit"):
        assert needle in text, f"docs/SECURITY.md does not document {needle}"
