"""Round two, who gets in (docs/SECURITY.md): the client address, the login limit, production secrets."""


from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.core.embedded import EmbeddedServers
from service.db.org import Role
from tests.security.probe_support import PASSWORD
from tests.support import (
    ROOT,
    LiveAPI,
    make_actor,
)

pytestmark = pytest.mark.security


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
