"""Admin commands against a real database: each prints the created id (or token) on its last line."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.campaign import Campaign
from service.db.org import Organization
from tests.support import ROOT, unique


def cli(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", *args],
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=check)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


def test_org_user_token_chain(servers: EmbeddedServers, client: TestClient) -> None:
    province = unique("山东省教育厅")
    org_id = uuid.UUID(last_line(cli("org", "create", province, "--kind", "province", "--region", "370000")))
    school = unique("济南职业学院")
    cli("org", "create", school, "--kind", "school", "--region", "370100", "--parent", province)
    username = unique("zhang")
    user_id = last_line(cli("user", "create", username, "--role", "submitter", "--org", school,
                            "--password", "a-long-password"))
    uuid.UUID(user_id)
    token = last_line(cli("token", "create", username))
    assert token.startswith("mdk_")
    response = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with session_scope() as session:
        child = session.query(Organization).filter_by(name=school).one()
        assert child.parent_id == org_id


def test_duplicate_org_and_bad_region_are_refused(servers: EmbeddedServers) -> None:
    name = unique("org")
    cli("org", "create", name, "--kind", "school")
    again = cli("org", "create", name, "--kind", "school", check=False)
    assert again.returncode == 2
    assert "exists already" in again.stderr
    bad = cli("org", "create", unique("org"), "--kind", "school", "--region", "37", check=False)
    assert bad.returncode == 2
    assert "GB/T 2260" in bad.stderr


def test_outlet_user_needs_outlet_org(servers: EmbeddedServers) -> None:
    school = unique("school")
    cli("org", "create", school, "--kind", "school")
    result = cli("user", "create", unique("u"), "--role", "outlet", "--org", school, check=False)
    assert result.returncode == 2
    assert "outlet" in result.stderr


def test_import_orgs_csv_with_parents_in_any_order(servers: EmbeddedServers, tmp_path: Path) -> None:
    province, city_school, committee = unique("省"), unique("学校"), unique("行指委")
    csv_path = tmp_path / "orgs.csv"
    csv_path.write_text(
        "\ufeffregion_code,kind,name,parent\n"
        f"370100,school,{city_school},{province}\n"
        f"370000,province,{province},\n"
        f",committee,{committee},\n",
        encoding="utf-8",
    )
    result = cli("org", "import", str(csv_path))
    assert last_line(result) == "3"
    again = cli("org", "import", str(csv_path))
    assert "already present 3" in again.stdout
    with session_scope() as session:
        school = session.query(Organization).filter_by(name=city_school).one()
        assert school.parent is not None
        assert school.parent.name == province


def test_import_rejects_bad_rows_and_imports_nothing(servers: EmbeddedServers, tmp_path: Path) -> None:
    good, bad = unique("good"), unique("bad")
    csv_path = tmp_path / "orgs.csv"
    csv_path.write_text(f"region_code,kind,name,parent\n370000,province,{good},\n370000,castle,{bad},\n")
    result = cli("org", "import", str(csv_path), check=False)
    assert result.returncode == 2
    assert "line 3" in result.stderr
    with session_scope() as session:
        assert session.query(Organization).filter_by(name=good).count() == 0


def test_seed_2023_campaign_matches_the_notice(servers: EmbeddedServers) -> None:
    campaign_id = uuid.UUID(last_line(cli("campaign", "create", "--seed-2023")))
    assert uuid.UUID(last_line(cli("campaign", "create", "--seed-2023"))) == campaign_id  # idempotent
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.week_start.isoformat(), campaign.week_end.isoformat()) == ("2023-05-14", "2023-05-20")
        assert campaign.theme == "技能：让生活更美好"
        assert campaign.plan_deadline is not None
        assert campaign.plan_deadline.isoformat() == "2023-04-28"
        assert campaign.summary_deadline is not None
        assert campaign.summary_deadline.isoformat() == "2023-05-27"


@pytest.mark.parametrize("role", ["submitter", "editor", "outlet", "admin"])
def test_demo_seed_tokens_work(servers: EmbeddedServers, client: TestClient, role: str) -> None:
    import json

    seeded = json.loads(last_line(cli("demo", "seed", env={"MEDIADESK_ENV": "development"})))
    token = seeded["tokens"][role]
    response = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == (403 if role == "outlet" else 200)
    if role == "submitter":
        sub = client.get(f"/api/v1/submissions/{seeded['submission_id']}",
                         headers={"Authorization": f"Bearer {token}"})
        assert sub.status_code == 200
        assert sub.json()["asset_count"] == 0
