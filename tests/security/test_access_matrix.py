"""Every endpoint × role × resource state answers as the matrix says; a route without a row fails the suite."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.core.embedded import EmbeddedServers
from tests.load.tus import encode_metadata
from tests.security import matrix_doc
from tests.security.cases import Case
from tests.security.matrix import CASES
from tests.security.routes import covered_keys, route_keys
from tests.security.world import PASSWORD, ROLES, World, build_world

pytestmark = pytest.mark.security


@pytest.fixture(scope="module")
def world(servers: EmbeddedServers) -> World:
    return build_world()


@pytest.fixture(scope="module")
def app_client(servers: EmbeddedServers) -> Iterator[TestClient]:
    from service.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


CSRF = re.compile(r'name="csrf[-_]token"\s+(?:content|value)="([^"]+)"')


class Browsers:
    """One signed-in browser (TestClient with cookies) per role, and the CSRF token of its session."""

    def __init__(self, world: World) -> None:
        from service.app import create_app

        self.world, self.app = world, create_app()
        self.clients: dict[str, tuple[TestClient, str]] = {}

    def get(self, role: str) -> tuple[TestClient, str]:
        if role not in self.clients:
            # Each browser its own address: sign-in attempts never trip the login rate limit of another.
            client = TestClient(self.app, raise_server_exceptions=False,
                                client=(f"198.51.100.{len(self.clients) + 10}", 40000))
            page = client.get("/login")
            actor = self.world.actors[role]
            if actor is not None:
                token = CSRF.search(page.text)
                form = {"username": actor.username, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
                signed_in = client.post("/login", data=form, follow_redirects=False)
                assert signed_in.status_code == 303, f"{role} could not sign in: {signed_in.status_code}"
                page = client.get("/login")  # any page: the session's CSRF token is in its <meta>
            found = CSRF.search(page.text)
            self.clients[role] = (client, found.group(1) if found else "")
        return self.clients[role]

    def close(self) -> None:
        for client, _ in self.clients.values():
            client.close()


@pytest.fixture(scope="module")
def browsers(world: World) -> Iterator[Browsers]:
    pool = Browsers(world)
    try:
        yield pool
    finally:
        pool.close()


def _substitute(value: Any, world: World) -> Any:
    if isinstance(value, str) and value.startswith("@fresh:"):
        return str(world.fresh(value[7:]))
    if isinstance(value, str) and value.startswith("@meta:"):
        return encode_metadata({"submission_id": str(world.ids[value[6:]]), "filename": "权限矩阵.jpg"})
    if isinstance(value, str) and value.startswith("@sha256:"):
        return world.sha256[value[8:]]
    if isinstance(value, str) and value.startswith("@"):
        return str(world.ids[value[1:]])
    if isinstance(value, dict):
        return {k: _substitute(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, world) for v in value]
    return value


def outcome(client: TestClient, world: World, case: Case, role: str, browsers: Browsers | None = None) -> str:
    path = case.route
    for param, name in case.path.items():
        path = path.replace("{" + param + "}", str(world.ids.get(name, name)))  # an id, or a literal (thumb)
    for param, factory in case.fresh.items():
        path = path.replace("{" + param + "}", str(world.fresh(factory)))
    unresolved = re.findall(r"\{([a-z_]+)\}", path)
    assert not unresolved, f"{case.label}: no real resource for {unresolved} (add `path=` or `fresh=` to the row)"
    if case.method == "MOUNT":
        return _classify(client.get(case.route + "/css/app.css"), case, world, role)
    headers = world.headers(role) | _substitute(case.headers, world)
    if case.cookie:
        assert browsers is not None
        client, csrf = browsers.get(role)
        headers = _substitute(case.headers, world) | {"X-CSRF-Token": csrf}
    response = client.request(case.method, path, headers=headers, json=_substitute(case.json, world),
                              params=_substitute(case.params, world), content=case.content, follow_redirects=False)
    if case.cookie and response.status_code in (302, 303, 307) and response.headers.get(
            "location", "").startswith("/login"):
        return "login"
    return _classify(response, case, world, role)


def _classify(response: Any, case: Case, world: World, role: str) -> str:
    if response.status_code >= 500:  # whatever the row expects: a crash is never an access decision
        return f"{response.status_code} (server error: {response.text[:200]})"
    if case.expectations()[role].isdigit() and response.status_code >= 400:
        return str(response.status_code)
    if case.expectations()[role] == "in" and response.status_code not in (401, 403):
        return "in"
    if response.status_code == 401:
        return "401"
    if response.status_code in (403, 404):
        return "no"
    if response.status_code < 400 and case.listed:
        return "listed" if str(world.ids[case.listed]) in response.text else "hidden"
    if response.status_code < 400:
        return "ok"
    return str(response.status_code)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_access(case: Case, world: World, app_client: TestClient, browsers: Browsers) -> None:
    seen = {role: outcome(app_client, world, case, role, browsers) for role in ROLES}
    wrong = {role: f"expected {want}, got {seen[role]}" for role, want in case.expectations().items()
             if seen[role] != want}
    assert not wrong, f"{case.label}: {wrong}"


def test_every_route_has_a_row(servers: EmbeddedServers) -> None:
    from service.app import create_app

    missing = sorted(route_keys(create_app()) - covered_keys(), key=lambda key: (key[1], key[0]))
    assert not missing, missing_rows_message(missing)
    stale = sorted(covered_keys() - route_keys(create_app()))
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


def missing_rows_message(missing: list[tuple[str, str]]) -> str:
    """Which method and route lack a row, and the row to write for each (filled in with the real decision)."""
    lines = [f"{len(missing)} route(s) of the app have no access-control row in tests/security/matrix.py:", ""]
    for method, route in missing:
        params = re.findall(r"\{([a-z_]+)\}", route)
        ids = ", ".join(f'"{p}": "<world id, e.g. asset_a_ready>"' for p in params)
        path = f", path={{{ids}}}" if params else ""
        lines += [f"  * {method} {route}", f'    add to CASES:  Case("{method}", "{route}", "<resource state>", '
                  f'"<{" ".join(ROLES)}>"{path}),']
    lines += ["", "Each of the 7 tokens (in that role order) is ok / 401 / no / listed / hidden / login / a status "
              "code (see the docstring of tests/security/matrix.py). Use real resources from tests/security/world.py "
              "(add a factory there for a new kind), not unknown ids. `python -m tests.security.matrix_draft` "
              "prints "
              "what the code answers today as a starting point; then run `python -m tests.security.matrix_doc` to "
              "republish the table in docs/SECURITY.md."]
    return "\n".join(lines)


def test_missing_row_message_names_the_route_and_the_fix() -> None:
    message = missing_rows_message([("POST", "/api/v1/things/{thing_id}/frobnicate")])
    assert "* POST /api/v1/things/{thing_id}/frobnicate" in message
    assert 'Case("POST", "/api/v1/things/{thing_id}/frobnicate"' in message
    assert '"thing_id"' in message
    assert "tests/security/matrix.py" in message


def test_published_matrix_is_current() -> None:
    text = matrix_doc.DOC.read_text() if matrix_doc.DOC.exists() else ""
    assert matrix_doc.current_block(text) == matrix_doc.render(), (
        "docs/SECURITY.md is out of date: run `python -m tests.security.matrix_doc`")
