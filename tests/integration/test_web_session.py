"""Cookie sessions for the web pages: login, fixation, rate limit, CSRF, logout, headers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.db.org import Role
from service.web.sessions import COOKIE_NAME
from tests.support import csrf_from, make_actor, make_campaign, unique, web_login

PASSWORD = "correct-horse-battery"


def test_login_page_is_chinese_and_sets_a_safe_cookie(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text  # no inline scripts anywhere (CSP would block them)


def test_english_switch(client: TestClient) -> None:
    client.get("/lang/en?next=/login")
    assert "Log in" in client.get("/login").text
    client.get("/lang/zh")


def test_wrong_password_is_refused_in_chinese(client: TestClient) -> None:
    actor = make_actor(Role.submitter, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": actor.username, "password": "wrong-password!",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_login_issues_a_new_session_id_and_lands_on_the_role_home(client: TestClient) -> None:
    actor = make_actor(Role.editor, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    before = client.cookies.get(COOKIE_NAME)
    response = client.post("/login", data={"username": actor.username, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/review"
    after = client.cookies.get(COOKIE_NAME)
    assert after
    assert after != before
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, before)
    assert client.get("/api/v1/submissions").status_code == 401


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    actor = make_actor(Role.submitter, password=PASSWORD)
    client.get("/login")
    response = client.post("/login", data={"username": actor.username, "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.text


def test_login_is_rate_limited_per_ip_and_username(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    username = unique("nobody")
    token = csrf_from(client.get("/login").text)
    codes = [
        client.post("/login", data={"username": username, "password": "x" * 12, "csrf_token": token}).status_code
        for _ in range(settings.login_rate_limit_per_minute + 1)
    ]
    assert codes[:-1] == [401] * settings.login_rate_limit_per_minute
    assert codes[-1] == 429
    # Another username from the same address is not locked out.
    other = client.post("/login", data={"username": unique("other"), "password": "x" * 12, "csrf_token": token})
    assert other.status_code == 401


def test_open_redirect_is_refused(client: TestClient) -> None:
    actor = make_actor(Role.submitter, password=PASSWORD)
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": actor.username, "password": PASSWORD, "csrf_token": token,
                                           "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/submissions"


def test_json_api_accepts_the_cookie_but_requires_csrf_for_writes(client: TestClient) -> None:
    actor = make_actor(Role.submitter, password=PASSWORD)
    campaign_id = make_campaign()
    csrf = web_login(client, actor.username, PASSWORD)
    assert client.get("/api/v1/submissions").status_code == 200
    body = {"title": "开放校园日", "campaign_id": str(campaign_id)}
    refused = client.post("/api/v1/submissions", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    accepted = client.post("/api/v1/submissions", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201
    assert accepted.json()["org_id"] == str(actor.org_id)


def test_bearer_clients_need_no_csrf(client: TestClient) -> None:
    actor = make_actor(Role.submitter)
    campaign_id = make_campaign()
    response = client.post("/api/v1/submissions", json={"title": "走进社区", "campaign_id": str(campaign_id)},
                           headers=actor.headers)
    assert response.status_code == 201


def test_logout_ends_the_session(client: TestClient) -> None:
    actor = make_actor(Role.submitter, password=PASSWORD)
    csrf = web_login(client, actor.username, PASSWORD)
    old = client.cookies.get(COOKIE_NAME)
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, old)
    assert client.get("/api/v1/submissions").status_code == 401


def test_forged_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, "abc.def")
    assert client.get("/api/v1/submissions").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
