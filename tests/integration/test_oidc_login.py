"""Sign-in through OpenID Connect against a small but real provider this test runs on a local port: discovery
document, JWKS with an RSA key, an authorize endpoint that redirects back with a code, and a token endpoint that
checks the PKCE verifier and client secret and issues an RS256-signed id_token.

The app is the real one (TestClient); only the browser's hops are done by hand: app → provider → app.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from service.accounts import oidc
from service.core.db import session_scope
from service.db.audit import AuditLog
from service.db.org import Role, User
from service.web.sessions import COOKIE_NAME
from tests.support import make_actor

CLIENT_ID, CLIENT_SECRET = "mediadesk-test", "provider-secret-2026"


@dataclass
class Provider:
    """The identity provider's state: who signs in next, which key signs, and what it may get wrong on purpose."""

    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    signing_key: RSAKey | None = None  # a different key: the signature must not verify
    claims: dict[str, Any] = field(default_factory=dict)  # claims of the next id_token
    overrides: dict[str, Any] = field(default_factory=dict)  # e.g. a wrong nonce or audience
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, {"issuer": provider.issuer, "authorization_endpoint": provider.issuer + "/authorize",
                                 "token_endpoint": provider.issuer + "/token", "jwks_uri": provider.issuer + "/jwks",
                                 "response_types_supported": ["code"], "id_token_signing_alg_values_supported":
                                 ["RS256"], "code_challenge_methods_supported": ["S256"]})
            elif url.path == "/jwks":
                self._json(200, {"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query
                self.send_response(302)
                self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                    {"code": code, "state": query["state"]}))
                self.end_headers()
            else:
                self._json(404, {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.token_requests.append(form)
            basic = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"").decode()
            asked = provider.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if basic != f"{CLIENT_ID}:{CLIENT_SECRET}" or asked is None or challenge != asked["code_challenge"]:
                self._json(400, {"error": "invalid_grant"})
                return
            now = int(time.time())
            claims = {"iss": provider.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": asked["nonce"], **provider.claims, **provider.overrides}
            key = provider.signing_key or provider.key
            token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
            self._json(200, {"access_token": "opaque", "token_type": "Bearer", "id_token": token})

    return Handler


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Provider]:
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(settings, "oidc_issuer", state.issuer)
    monkeypatch.setattr(settings, "oidc_client_id", CLIENT_ID)
    monkeypatch.setattr(settings, "oidc_client_secret", CLIENT_SECRET)
    monkeypatch.setattr(settings, "oidc_auto_create_org", "")
    oidc._cache.clear()
    try:
        yield state
    finally:
        server.shutdown()
        oidc._cache.clear()


def _sign_in(client: TestClient, next_path: str = "") -> httpx.Response:
    """Browser hops: our /login/oidc → the provider's authorize → our callback."""
    start = client.get("/login/oidc" + (f"?next={next_path}" if next_path else ""), follow_redirects=False)
    assert start.status_code == 303, start.text[:300]
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert query["nonce"][0]
    assert query["state"][0]
    back = httpx.get(authorize, follow_redirects=False)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return client.get(f"{callback.path}?{callback.query}", follow_redirects=False)


def test_known_user_signs_in_and_the_subject_is_bound(client: TestClient, provider: Provider) -> None:
    editor = make_actor(Role.editor)
    provider.claims = {"sub": "moe-8812", "preferred_username": editor.username.upper()}
    assert "统一身份认证登录" in client.get("/login").text
    response = _sign_in(client, "/review?status=pending")
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/review?status=pending"
    assert client.cookies.get(COOKIE_NAME)
    assert client.get("/review").status_code == 200
    assert provider.token_requests[-1]["grant_type"] == "authorization_code"
    with session_scope() as session:
        user = session.scalar(select(User).where(User.id == editor.user_id))
        assert user is not None
        assert user.oidc_subject == "moe-8812"
        bound = session.scalar(select(AuditLog).where(AuditLog.target_id == editor.user_id,
                                                       AuditLog.action == "user.oidc_bind"))
        assert bound is not None
        assert bound.actor_id == editor.user_id
    # the same account cannot later be claimed by another identity with the same name
    provider.claims = {"sub": "someone-else", "preferred_username": editor.username}
    fresh = TestClient(client.app)
    refused = _sign_in(fresh)
    assert refused.status_code == 403
    assert "该账号已绑定其他身份" in refused.text


def test_unknown_and_deactivated_users_are_refused(client: TestClient, provider: Provider) -> None:
    provider.claims = {"sub": "nobody-1", "preferred_username": "no-such-user-here"}
    response = _sign_in(client)
    assert response.status_code == 403
    assert "系统中没有与该身份对应的账号" in response.text
    user = make_actor(Role.submitter)
    with session_scope() as session:
        row = session.get(User, user.user_id)
        assert row is not None
        row.is_active = False
    provider.claims = {"sub": "s-2", "preferred_username": user.username}
    response = _sign_in(client)
    assert response.status_code == 403
    assert "该账号已停用" in response.text
    assert client.get("/submissions", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("tamper", ["foreign_key", "nonce", "audience", "issuer", "expired"])
def test_tampered_id_tokens_are_refused(client: TestClient, provider: Provider, tamper: str) -> None:
    user = make_actor(Role.submitter)
    provider.claims = {"sub": f"s-{tamper}", "preferred_username": user.username}
    if tamper == "foreign_key":
        provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    else:
        provider.overrides = {"nonce": {"nonce": "replayed"}, "audience": {"aud": "another-client"},
                              "issuer": {"iss": "https://evil.example"},
                              "expired": {"exp": int(time.time()) - 3600}}[tamper]
    response = _sign_in(client)
    assert response.status_code == 403
    assert "身份凭证校验失败" in response.text
    assert client.get("/submissions", follow_redirects=False).status_code == 303


def test_forged_or_replayed_state_is_refused(client: TestClient, provider: Provider) -> None:
    user = make_actor(Role.submitter)
    provider.claims = {"sub": "s-state", "preferred_username": user.username}
    forged = client.get("/login/oidc/callback?code=abc&state=made-up", follow_redirects=False)
    assert forged.status_code == 403
    assert "登录请求已过期或无效" in forged.text
    start = client.get("/login/oidc", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    assert client.get(f"{callback.path}?{callback.query}", follow_redirects=False).status_code == 303
    replay = TestClient(client.app).get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert replay.status_code == 403


def test_unknown_users_are_created_only_where_configured(client: TestClient, provider: Provider,
                                                         monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    org = make_actor(Role.submitter).org_name
    monkeypatch.setattr(settings, "oidc_auto_create_org", org)
    provider.claims = {"sub": "new-person-1", "preferred_username": f"new-{secrets.token_hex(4)}"}
    response = _sign_in(client)
    assert response.status_code == 303
    with session_scope() as session:
        user = session.scalar(select(User).where(User.oidc_subject == "new-person-1"))
        assert user is not None
        assert user.role == Role.submitter
        assert user.password_hash is None


def test_without_configuration_the_button_is_absent(client: TestClient, settings: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "oidc_issuer", "")
    assert "统一身份认证登录" not in client.get("/login").text
    assert client.get("/login/oidc", follow_redirects=False).status_code == 404
