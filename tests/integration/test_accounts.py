"""Accounts through the admin API and pages, against the real stack: create, edit, deactivate, reset, tokens,
sessions, bulk import, the user's own password, organisations; every admin action lands in the audit log."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.db import session_scope
from service.db.audit import AuditLog
from service.db.org import OrgKind, Role
from tests.support import Actor, csrf_from, make_actor, make_org, unique, web_login

GOOD = "Lantern-river-2026"
BETTER = "Quiet-harbour-5150"


def _audit(target_id: uuid.UUID | str, action: str) -> list[AuditLog]:
    with session_scope() as session:
        rows = list(session.scalars(select(AuditLog).where(AuditLog.target_id == uuid.UUID(str(target_id)),
                                                           AuditLog.action == action)))
        session.expunge_all()
        return rows


def _create(client: TestClient, admin: Actor, **body: object) -> dict[str, object]:
    payload = {"username": unique("acct"), "role": "submitter", "org_id": str(make_org())} | body
    response = client.post("/api/v1/admin/users", json=payload, headers=admin.headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_create_refuses_weak_passwords_with_a_reason_in_both_languages(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    name = unique("weak")
    response = client.post("/api/v1/admin/users", headers=admin.headers, json={
        "username": name, "role": "submitter", "org_id": str(make_org()), "password": "short"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "password_too_short"
    assert "12" in problem["detail"]
    response = client.post("/api/v1/admin/users", headers=admin.headers, json={
        "username": name, "role": "submitter", "org_id": str(make_org()), "password": f"{name}-Extra"})
    assert response.json()["code"] == "password_is_username"
    assert client.get(f"/api/v1/admin/users?q={name}", headers=admin.headers).json()["total"] == 0


def test_one_time_password_must_be_changed_at_first_login(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    user = _create(client, admin, password=GOOD)
    assert user["must_change_password"] is True
    assert _audit(str(user["id"]), "user.create")[0].detail == {"role": "submitter", "with_password": True}
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": user["username"], "password": GOOD, "csrf_token": token},
                           follow_redirects=False)
    assert response.headers["location"] == "/account/password"
    # every page leads back to the change form until the password is changed
    assert client.get("/submissions", follow_redirects=False).headers["location"] == "/account/password"
    blocked = client.get("/api/v1/submissions")
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "password_change_required"
    page = client.get("/account/password")
    assert "管理员重置了您的密码" in page.text
    csrf = csrf_from(page.text)
    refused = client.post("/account/password", data={"csrf_token": csrf, "current_password": GOOD,
                                                     "new_password": "123456789012", "new_password_again":
                                                     "123456789012"})
    assert refused.status_code == 422
    assert "常见" in refused.text or "同一类" in refused.text
    done = client.post("/account/password", data={"csrf_token": csrf, "current_password": GOOD,
                                                  "new_password": BETTER, "new_password_again": BETTER},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/submissions").status_code == 200
    rows = _audit(str(user["id"]), "user.password_change")
    assert len(rows) == 1
    assert GOOD not in str(rows[0].detail)
    assert BETTER not in str(rows[0].detail)


def test_edit_deactivate_and_reactivate(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    user = make_actor(Role.submitter, password=GOOD)
    browser = TestClient(client.app)
    web_login(browser, user.username, GOOD)
    assert browser.get("/submissions").status_code == 200
    new_org = make_org(OrgKind.school)
    response = client.patch(f"/api/v1/admin/users/{user.user_id}", headers=admin.headers,
                            json={"role": "editor", "org_id": str(new_org)})
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    edit = _audit(user.user_id, "user.edit")[0]
    assert edit.detail["role"] == {"from": "submitter", "to": "editor"}
    assert edit.actor_name == admin.username
    client.patch(f"/api/v1/admin/users/{user.user_id}", headers=admin.headers, json={"role": "submitter"})

    response = client.patch(f"/api/v1/admin/users/{user.user_id}", headers=admin.headers, json={"is_active": False})
    assert response.json()["is_active"] is False
    assert browser.get("/submissions", follow_redirects=False).status_code == 303  # the session ended at once
    assert client.get("/api/v1/submissions", headers=user.headers).status_code == 401  # the token stops too
    token = csrf_from(browser.get("/login").text)
    assert browser.post("/login", data={"username": user.username, "password": GOOD,
                                        "csrf_token": token}).status_code == 401
    assert _audit(user.user_id, "user.deactivate")[0].detail == {"sessions_ended": 1}
    client.patch(f"/api/v1/admin/users/{user.user_id}", headers=admin.headers, json={"is_active": True})
    assert client.get("/api/v1/submissions", headers=user.headers).status_code == 200
    assert _audit(user.user_id, "user.reactivate")
    own = client.patch(f"/api/v1/admin/users/{admin.user_id}", headers=admin.headers, json={"is_active": False})
    assert own.status_code == 409


def test_reset_link_sets_a_new_password_once(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    user = make_actor(Role.submitter, password=GOOD)
    response = client.post(f"/api/v1/admin/users/{user.user_id}/password", headers=admin.headers, json={})
    assert response.status_code == 200
    link = response.json()["reset_url"]
    path = "/" + link.split("/", 3)[3]
    browser = TestClient(client.app)
    form = browser.get(path)
    assert form.status_code == 200
    csrf = csrf_from(form.text)
    done = browser.post(path, data={"csrf_token": csrf, "new_password": BETTER, "new_password_again": BETTER},
                        follow_redirects=False)
    assert done.status_code == 303
    assert browser.get(path).status_code == 410  # used once
    web_login(browser, user.username, BETTER)
    assert _audit(user.user_id, "user.password_reset")[0].detail["mode"] == "link"
    # a one-time password set by the admin: old one stops, the user must change it
    response = client.post(f"/api/v1/admin/users/{user.user_id}/password", headers=admin.headers,
                           json={"password": GOOD + "x"})
    assert response.json() == {"mode": "password", "reset_url": None}
    assert browser.get("/submissions", follow_redirects=False).headers["location"].startswith("/login")


def test_tokens_and_sessions_are_listed_and_ended(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    user = make_actor(Role.submitter, password=GOOD)
    tokens = client.get(f"/api/v1/admin/users/{user.user_id}/tokens", headers=admin.headers).json()
    assert len(tokens) == 1
    assert user.token.startswith(tokens[0]["prefix"])
    assert "token_hash" not in tokens[0]
    revoked = client.post(f"/api/v1/admin/users/{user.user_id}/tokens/revoke", headers=admin.headers, json={})
    assert revoked.json() == {"count": 1}
    assert client.get("/api/v1/submissions", headers=user.headers).status_code == 401
    assert _audit(user.user_id, "user.tokens_revoke")[0].detail["count"] == 1

    phone, laptop = TestClient(client.app), TestClient(client.app)
    web_login(phone, user.username, GOOD)
    web_login(laptop, user.username, GOOD)
    listed = client.get(f"/api/v1/admin/users/{user.user_id}/sessions", headers=admin.headers).json()
    assert len(listed) == 2
    assert all(len(s["handle"]) == 20 for s in listed)
    # the user sees their own sessions (marked current) and ends the other one
    mine = laptop.get("/api/v1/account/sessions").json()
    other = next(s for s in mine if not s["current"])
    csrf = csrf_from(laptop.get("/account/password").text)
    ended = laptop.delete(f"/api/v1/account/sessions/{other['handle']}", headers={"X-CSRF-Token": csrf})
    assert ended.json() == {"count": 1}
    assert phone.get("/submissions", follow_redirects=False).status_code == 303
    assert laptop.get("/submissions").status_code == 200
    ended = client.delete(f"/api/v1/admin/users/{user.user_id}/sessions", headers=admin.headers)
    assert ended.json() == {"count": 1}
    assert laptop.get("/submissions", follow_redirects=False).status_code == 303
    assert len(_audit(user.user_id, "user.sessions_end")) == 2


def test_bulk_import_dry_run_then_real(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    org = make_org()
    with session_scope() as session:
        from service.db.org import Organization

        org_name = session.get(Organization, org).name  # type: ignore[union-attr]
    a, b = unique("imp"), unique("imp")
    good = f"username,role,org,display_name,password\n{a},submitter,{org_name},张三,{GOOD}\n{b},editor,{org},李四,\n"
    bad = good + f"{a},submitter,{org_name},重复,\nx-{a},boss,{org_name},,\ny-{a},submitter,nowhere,,\n" \
                 f"z-{a},submitter,{org_name},,short\n"
    report = client.post("/api/v1/admin/users/import?dry_run=true", headers=admin.headers | {
        "Content-Type": "text/csv"}, content=bad.encode()).json()
    outcomes = [(r["line"], r["outcome"], r["code"]) for r in report["rows"]]
    assert outcomes == [(2, "create", None), (3, "create", None), (4, "error", "invalid_row"),
                        (5, "error", "unknown_role"), (6, "error", "invalid_row"),
                        (7, "error", "password_too_short")]
    assert "exists" in report["rows"][2]["reason"] or "已" in report["rows"][2]["reason"]
    assert client.get(f"/api/v1/admin/users?q={a}", headers=admin.headers).json()["total"] == 0  # nothing stayed
    refused = client.post("/api/v1/admin/users/import?dry_run=false", headers=admin.headers, content=bad.encode())
    assert refused.status_code == 422
    assert client.get(f"/api/v1/admin/users?q={a}", headers=admin.headers).json()["total"] == 0
    done = client.post("/api/v1/admin/users/import?dry_run=false", headers=admin.headers, content=good.encode())
    assert done.status_code == 200, done.text
    assert done.json()["would_create"] == 2
    users = client.get(f"/api/v1/admin/users?q={a}", headers=admin.headers).json()["items"]
    assert users[0]["must_change_password"] is True
    with session_scope() as session:
        row = session.scalar(select(AuditLog).where(AuditLog.action == "user.import",
                                                    AuditLog.actor_id == admin.user_id))
        assert row is not None
        assert row.detail["created"] == 2


def test_organisations_are_created_and_edited(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    name = unique("省教育厅")
    created = client.post("/api/v1/admin/orgs", headers=admin.headers,
                          json={"name": name, "kind": "province", "region_code": "410000"})
    assert created.status_code == 201
    org_id = created.json()["id"]
    school = client.post("/api/v1/admin/orgs", headers=admin.headers,
                         json={"name": unique("学校"), "kind": "school", "parent_id": org_id}).json()
    cycle = client.patch(f"/api/v1/admin/orgs/{org_id}", headers=admin.headers, json={"parent_id": school["id"]})
    assert cycle.status_code == 422
    assert cycle.json()["code"] == "org_parent_cycle"  # the tree rules live in service/hierarchy/tree.py
    edited = client.patch(f"/api/v1/admin/orgs/{org_id}", headers=admin.headers, json={"region_code": "410100"})
    assert edited.json()["region_code"] == "410100"
    assert _audit(org_id, "org.edit")[0].detail["region_code"] == {"from": "410000", "to": "410100"}
    assert _audit(org_id, "org.create")


def test_admin_pages_show_names_not_codes(client: TestClient) -> None:
    admin = make_actor(Role.admin, password=GOOD)
    web_login(client, admin.username, GOOD)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "用户管理" in page.text
    assert "管理员" in page.text
    csrf = csrf_from(page.text)
    name = unique("页面")
    made = client.post("/admin/users", data={"csrf_token": csrf, "username": name, "role": "editor",
                                             "org_id": str(admin.org_id), "password": "short"})
    assert made.status_code == 422
    assert "至少需要 12 个字符" in made.text
    made = client.post("/admin/users", data={"csrf_token": csrf, "username": name, "role": "editor",
                                             "org_id": str(admin.org_id), "password": ""}, follow_redirects=False)
    assert made.status_code == 303
    detail = client.get(made.headers["location"])
    assert "编辑" in detail.text
    reset = client.post(made.headers["location"].split("?")[0], data={"csrf_token": csrf, "action": "reset"})
    assert "/account/reset/" in reset.text
    dry = client.post("/admin/users-import", data={"csrf_token": csrf, "action": "dry_run",
                                                   "text": f"username,role,org\n{unique('p')},boss,x\n"})
    assert dry.status_code == 200
    assert "未知角色" in dry.text
    assert "审计日志" in client.get("/admin/audit").text
    orgs = client.get("/admin/orgs")
    assert orgs.status_code == 200
    assert "教育部" in orgs.text  # kinds by name
    page = client.get(f"/admin/orgs/{admin.org_id}")
    assert page.status_code == 200
    renamed = unique("司局")
    saved = client.post(f"/admin/orgs/{admin.org_id}", data={"csrf_token": csrf, "name": renamed, "kind": "ministry",
                                                             "region_code": "bad"})
    assert saved.status_code == 422
    assert "6 位数字" in saved.text
    saved = client.post(f"/admin/orgs/{admin.org_id}", data={"csrf_token": csrf, "name": renamed, "kind": "ministry",
                                                             "region_code": "110000"}, follow_redirects=False)
    assert saved.status_code == 303
    assert renamed in client.get(f"/admin/orgs/{admin.org_id}").text
