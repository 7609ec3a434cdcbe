"""Provinces and their schools: the tree (admin API and CLI), scope (a province sees its members' material, never a
neighbour's, and never edits it), pre-review (forward / return with reason, bulk), the ministry's gated queue, the
province's dashboard and who has not reported (CSV / XLSX)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.db.audit import AuditLog
from service.db.events import OutboxEvent
from service.db.org import Organization, OrgKind, Role
from service.db.reporting import Report, ReportKind, ReportStatus
from tests.integration.test_admin_cli import cli, last_line
from tests.support import (
    Actor,
    make_actor,
    make_campaign,
    make_org,
    make_ready_asset,
    make_submission,
    set_campaign,
    unique,
    web_login,
)


def make_member(kind: OrgKind, parent: uuid.UUID, region: str = "370100") -> uuid.UUID:
    org_id = make_org(kind, region=region)
    with session_scope() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        org.parent_id = parent
    return org_id


def make_report(actor: Actor, campaign: uuid.UUID, kind: ReportKind, status: ReportStatus,
                title: str = "报送材料") -> uuid.UUID:
    with session_scope() as session:
        report = Report(campaign_id=campaign, org_id=actor.org_id, kind=kind, status=status, title=title,
                        created_by=actor.user_id, filed_by=actor.user_id if status != ReportStatus.draft else None,
                        filed_at=datetime.now(UTC) if status != ReportStatus.draft else None)
        session.add(report)
        session.flush()
        return report.id


@dataclass
class Tree:
    campaign: uuid.UUID
    province: Actor  # a submitter of province P
    school: Actor  # a school directly under P
    deep: Actor  # a school under P's city bureau (department under P)
    neighbour: Actor  # province Q
    neighbour_school: Actor  # a school under Q
    editor: Actor
    admin: Actor


def make_tree(**campaign: object) -> Tree:
    p, q = make_org(OrgKind.province, region="370000"), make_org(OrgKind.province, region="440000")
    city = make_member(OrgKind.department, p)
    tree = Tree(campaign=make_campaign(**campaign), province=make_actor(Role.submitter, p, password="a-long-password"),
                school=make_actor(Role.submitter, make_member(OrgKind.school, p)),
                deep=make_actor(Role.submitter, make_member(OrgKind.school, city)),
                neighbour=make_actor(Role.submitter, q),
                neighbour_school=make_actor(Role.submitter, make_member(OrgKind.school, q, "440100")),
                editor=make_actor(Role.editor), admin=make_actor(Role.admin))
    return tree


def _ids(response_json: dict[str, object], key: str = "id") -> set[str]:
    return {str(item[key]) for item in response_json["items"]}  # type: ignore[attr-defined, index]


def _queue(client: TestClient, actor: Actor, campaign: uuid.UUID) -> set[str]:
    response = client.get("/api/v1/review/queue", headers=actor.headers, params={"campaign_id": str(campaign)})
    assert response.status_code == 200, response.text
    return _ids(response.json(), "asset_id")


def test_admin_sets_parents_and_refuses_cycles_and_nonsense(client: TestClient) -> None:
    admin = make_actor(Role.admin)
    province, school, outlet = (make_org(OrgKind.province), make_org(OrgKind.school), make_org(OrgKind.outlet))
    other_province = make_org(OrgKind.province)

    def put(org: uuid.UUID, parent: uuid.UUID | None, who: Actor = admin) -> tuple[int, dict[str, object]]:
        r = client.put(f"/api/v1/hierarchy/orgs/{org}/parent", headers=who.headers,
                       json={"parent_id": str(parent) if parent else None})
        return r.status_code, r.json()

    assert put(school, province) == (200, {"id": str(school), "name": put(school, province)[1]["name"],
                                           "kind": "school", "region_code": "370100", "parent_id": str(province)})
    assert put(outlet, school)[1]["code"] == "org_parent_kind"
    status, body = put(other_province, school)
    assert (status, body["code"]) == (422, "org_parent_kind")
    assert "学校" in str(body["detail"])
    assert put(province, province)[1]["code"] == "org_parent_self"
    department = make_org(OrgKind.department)
    assert put(department, province)[0] == 200
    assert put(province, department)[1]["code"] == "org_parent_cycle"  # the department is below the province
    assert put(school, uuid.uuid4())[0] == 404
    assert put(school, province, make_actor(Role.editor))[0] == 403
    assert put(school, None) == (200, {**put(school, None)[1], "parent_id": None})
    with session_scope() as session:
        actions = session.scalars(select(AuditLog.detail).where(AuditLog.action == "org.set_parent",
                                                                AuditLog.target_id == school)).all()
    # set, set again (no change: not recorded), cleared
    assert [a["to"] for a in actions] == [str(province), None]


def test_cli_set_parent(servers: EmbeddedServers) -> None:
    province, school = unique("河南省教育厅"), unique("郑州职业学院")
    cli("org", "create", province, "--kind", "province", "--region", "410000")
    cli("org", "create", school, "--kind", "school", "--region", "410100")
    assert uuid.UUID(last_line(cli("org", "set-parent", school, "--parent", province)))
    refused = cli("org", "set-parent", province, "--parent", school, check=False)
    assert refused.returncode == 2
    assert "org_parent_cycle" in refused.stderr or "org_parent_kind" in refused.stderr
    assert last_line(cli("org", "set-parent", school, "--none")) == "none"
    with session_scope() as session:
        org = session.scalar(select(Organization).where(Organization.name == school))
        assert org is not None
        assert org.parent_id is None


def test_province_sees_members_material_read_only_and_never_a_neighbours(client: TestClient) -> None:
    t = make_tree()
    s_sub, deep_sub = make_submission(t.school, t.campaign, "学校开放日"), make_submission(t.deep, t.campaign, "市属")
    q_sub = make_submission(t.neighbour_school, t.campaign, "邻省学校")
    s_asset, q_asset = make_ready_asset(s_sub), make_ready_asset(q_sub)

    listed = _ids(client.get("/api/v1/submissions", headers=t.province.headers).json())
    assert {str(s_sub), str(deep_sub)} <= listed
    assert str(q_sub) not in listed
    assert client.get(f"/api/v1/submissions/{s_sub}", headers=t.province.headers).status_code == 200
    assert client.get(f"/api/v1/submissions/{q_sub}", headers=t.province.headers).status_code == 404
    edit = client.patch(f"/api/v1/submissions/{s_sub}", headers=t.province.headers, json={"title": "省里改的"})
    assert edit.status_code == 403
    assert client.patch(f"/api/v1/submissions/{s_sub}", headers=t.school.headers, json={"title": "学校改的"}
                        ).status_code == 200
    assert client.get(f"/api/v1/assets/{s_asset}", headers=t.province.headers).status_code == 200
    assert client.get(f"/api/v1/assets/{q_asset}", headers=t.province.headers).status_code == 404
    assets = _ids(client.get("/api/v1/assets", headers=t.province.headers).json())
    assert str(s_asset) in assets
    assert str(q_asset) not in assets
    # neither the neighbour nor the school looks upward or sideways
    assert client.get(f"/api/v1/submissions/{s_sub}", headers=t.neighbour.headers).status_code == 404
    p_sub = make_submission(t.province, t.campaign, "省级活动")
    assert client.get(f"/api/v1/submissions/{p_sub}", headers=t.school.headers).status_code == 404
    assert client.get(f"/api/v1/submissions/{deep_sub}", headers=t.school.headers).status_code == 404
    # the neighbour's pre-review queue, dashboard and not-reported list never name P's schools
    queue = client.get("/api/v1/hierarchy/prereview", headers=t.neighbour.headers).json()
    assert str(s_sub) not in _ids(queue)
    assert client.post(f"/api/v1/hierarchy/prereview/submissions/{s_sub}/forward",
                       headers=t.neighbour.headers).status_code == 404
    assert client.get("/api/v1/hierarchy/not-reported", headers=t.neighbour.headers,
                      params={"org_id": str(t.province.org_id)}).status_code == 404
    board = client.get("/api/v1/hierarchy/dashboard", headers=t.neighbour.headers,
                       params={"campaign_id": str(t.campaign)}).json()
    assert {m["org_id"] for m in board["members"]} == {str(t.neighbour_school.org_id)}


def test_prereview_gates_the_ministry_queue(client: TestClient) -> None:
    t = make_tree()
    set_campaign(t.campaign, prereview=True)
    s_sub, p_sub = make_submission(t.school, t.campaign, "学校技能节"), make_submission(t.province, t.campaign, "省")
    s_asset, p_asset = make_ready_asset(s_sub), make_ready_asset(p_sub)
    # the school's file waits for its province; the province's own (no parent) goes straight to the ministry
    assert _queue(client, t.editor, t.campaign) == {str(p_asset)}
    queue = client.get("/api/v1/hierarchy/prereview", headers=t.province.headers,
                       params={"state": "pending", "kind": "submission"}).json()
    assert str(s_sub) in _ids(queue)
    assert str(p_sub) not in _ids(queue)  # its own material is not its to pre-review

    url = f"/api/v1/hierarchy/prereview/submissions/{s_sub}"
    blank = client.post(f"{url}/return", headers=t.province.headers, json={"reason": "   "})
    assert (blank.status_code, blank.json()["code"]) == (422, "reason_required")
    assert client.post(f"{url}/return", headers=t.school.headers, json={"reason": "x"}).status_code == 403
    assert client.post(f"{url}/forward", headers=t.editor.headers).status_code == 403
    returned = client.post(f"{url}/return", headers=t.province.headers, json={"reason": "照片缺少肖像授权说明"})
    assert returned.json() == {"id": str(s_sub), "kind": "submission", "state": "returned",
                               "reason": "照片缺少肖像授权说明"}
    seen = client.get(f"/api/v1/submissions/{s_sub}", headers=t.school.headers).json()
    assert (seen["prereview_state"], seen["prereview_reason"]) == ("returned", "照片缺少肖像授权说明")
    with session_scope() as session:
        event = session.scalar(select(OutboxEvent).where(OutboxEvent.subject_id == s_sub))
        assert event is not None
        assert (event.kind, event.org_id, event.data["reason"]) == ("submission_returned", t.school.org_id,
                                                                    "照片缺少肖像授权说明")
    assert _queue(client, t.editor, t.campaign) == {str(p_asset)}
    # the school fixes it: pending again; the province forwards; the ministry sees it
    client.patch(f"/api/v1/submissions/{s_sub}", headers=t.school.headers, json={"description": "已取得授权"})
    assert client.get(f"/api/v1/submissions/{s_sub}", headers=t.school.headers).json()["prereview_state"] == "pending"
    for _ in range(2):  # twice: the second changes nothing
        forwarded = client.post(f"{url}/forward", headers=t.province.headers)
        assert forwarded.json()["state"] == "forwarded"
    assert _queue(client, t.editor, t.campaign) == {str(p_asset), str(s_asset)}
    late = client.post(f"{url}/return", headers=t.province.headers, json={"reason": "再看看"})
    assert (late.status_code, late.json()["code"]) == (409, "already_forwarded")
    with session_scope() as session:
        codes = session.scalars(select(AuditLog.action).where(AuditLog.target_id == s_sub)
                                .order_by(AuditLog.at)).all()
    assert codes == ["submission.return", "submission.edit", "submission.forward"]


def test_direct_submissions_show_undecided_but_never_returned_material(client: TestClient) -> None:
    t = make_tree()
    set_campaign(t.campaign, prereview=True, direct_submissions=True)
    pending_asset = make_ready_asset(make_submission(t.school, t.campaign, "待预审"))
    returned_sub = make_submission(t.school, t.campaign, "被退回")
    returned_asset = make_ready_asset(returned_sub)
    client.post(f"/api/v1/hierarchy/prereview/submissions/{returned_sub}/return", headers=t.province.headers,
                json={"reason": "内容与活动周无关"})
    queue = _queue(client, t.editor, t.campaign)
    assert str(pending_asset) in queue
    assert str(returned_asset) not in queue
    set_campaign(t.campaign, prereview=False)  # without pre-review everything is the ministry's, as before
    assert {str(pending_asset), str(returned_asset)} <= _queue(client, t.editor, t.campaign)


def test_reports_forward_return_and_bulk(client: TestClient) -> None:
    t = make_tree()
    case = make_report(t.school, t.campaign, ReportKind.case, ReportStatus.filed, "典型案例：校企合作")
    plan = make_report(t.deep, t.campaign, ReportKind.plan, ReportStatus.filed, "活动方案")
    draft = make_report(t.school, t.campaign, ReportKind.summary, ReportStatus.draft, "总结草稿")
    neighbours = make_report(t.neighbour_school, t.campaign, ReportKind.case, ReportStatus.filed)
    sub = make_submission(t.school, t.campaign, "照片")

    queue = client.get("/api/v1/hierarchy/prereview", headers=t.province.headers,
                       params={"campaign_id": str(t.campaign)}).json()
    assert _ids(queue) == {str(case), str(plan), str(sub)}  # no draft, no neighbour's
    only_cases = client.get("/api/v1/hierarchy/prereview", headers=t.province.headers,
                            params={"campaign_id": str(t.campaign), "kind": "case"}).json()
    assert _ids(only_cases) == {str(case)}
    by_member = client.get("/api/v1/hierarchy/prereview", headers=t.province.headers,
                           params={"campaign_id": str(t.campaign), "org_id": str(t.deep.org_id)}).json()
    assert _ids(by_member) == {str(plan)}
    assert client.post(f"/api/v1/hierarchy/prereview/reports/{draft}/forward",
                       headers=t.province.headers).status_code == 404
    returned = client.post(f"/api/v1/hierarchy/prereview/reports/{case}/return", headers=t.province.headers,
                           json={"reason": "请补充活动照片"})
    assert returned.json()["state"] == "returned"

    bulk = client.post("/api/v1/hierarchy/prereview/forward", headers=t.province.headers,
                       json={"report_ids": [str(plan), str(neighbours), str(case)], "submission_ids": [str(sub)]})
    body = bulk.json()
    assert set(body["forwarded"]) == {str(plan), str(sub)}
    assert {(r["id"], r["code"]) for r in body["refused"]} == {(str(neighbours), "not_found"),
                                                             (str(case), "bad_transition")}
    again = client.post("/api/v1/hierarchy/prereview/forward", headers=t.province.headers,
                        json={"report_ids": [str(plan)], "submission_ids": [str(sub)]}).json()
    assert (again["forwarded"], set(again["unchanged"])) == ([], {str(plan), str(sub)})
    with session_scope() as session:
        report = session.get(Report, plan)
        assert report is not None
        assert (report.status, report.forwarded_by) == (ReportStatus.forwarded, t.province.user_id)
        returned_row = session.get(Report, case)
        assert returned_row is not None
        assert (returned_row.status, returned_row.return_reason) == (ReportStatus.returned, "请补充活动照片")
        kinds = dict(session.execute(select(OutboxEvent.subject_id, OutboxEvent.kind).where(
            OutboxEvent.subject_id.in_([plan, case]))).tuples().all())
        assert kinds == {plan: "report_forwarded", case: "report_returned"}
        audits = session.scalar(select(func.count()).where(AuditLog.target_id == plan,
                                                           AuditLog.action == "report.forward"))
        assert audits == 1


def test_dashboard_and_who_has_not_reported(client: TestClient) -> None:
    t = make_tree()
    set_campaign(t.campaign, plan_deadline=date.today() - timedelta(days=2),
                 summary_deadline=date.today() + timedelta(days=30))
    make_report(t.school, t.campaign, ReportKind.plan, ReportStatus.filed)
    make_report(t.school, t.campaign, ReportKind.summary, ReportStatus.draft)  # a draft is not reported
    make_report(t.school, t.campaign, ReportKind.case, ReportStatus.returned)  # nor a returned one
    make_ready_asset(make_submission(t.school, t.campaign))
    make_submission(t.deep, t.campaign)  # a submission without a ready file is not media

    rows = client.get("/api/v1/hierarchy/not-reported", headers=t.province.headers,
                      params={"campaign_id": str(t.campaign)}).json()["items"]
    missing = {r["org_id"]: r["missing"] for r in rows}
    city = next(r for r in rows if r["org_id"] not in (str(t.school.org_id), str(t.deep.org_id)))
    assert missing == {str(t.school.org_id): ["case", "summary"],
                       str(t.deep.org_id): ["plan", "media", "case", "summary"],
                       city["org_id"]: ["plan", "media", "case", "summary"]}
    no_plan = client.get("/api/v1/hierarchy/not-reported", headers=t.province.headers,
                         params={"campaign_id": str(t.campaign), "missing": "plan"}).json()["items"]
    assert str(t.school.org_id) not in {r["org_id"] for r in no_plan}
    assert client.get("/api/v1/hierarchy/not-reported", headers=t.province.headers,
                      params={"missing": "video"}).status_code == 422

    exported = client.get("/api/v1/hierarchy/not-reported", headers=t.province.headers,
                          params={"campaign_id": str(t.campaign), "format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0] == ["上级单位", "单位", "地区代码", "活动方案", "照片视频", "典型案例", "活动总结"]
    school_row = next(r for r in table if r[1] == t.school.org_name)
    assert school_row[3:] == ["已报送", "已报送", "未报送", "未报送"]
    xlsx = client.get("/api/v1/hierarchy/not-reported", headers=t.province.headers,
                      params={"campaign_id": str(t.campaign), "format": "xlsx", "lang": "en"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][3:] == ["Plan", "Photos and videos", "Typical case", "Summary"]
    assert len(list(sheet.rows)) == len(table)

    # staff: any province, or every member of every province
    staff = client.get("/api/v1/hierarchy/not-reported", headers=t.editor.headers,
                       params={"campaign_id": str(t.campaign)}).json()["items"]
    assert {str(t.school.org_id), str(t.neighbour_school.org_id)} <= {r["org_id"] for r in staff}
    assert client.get("/api/v1/hierarchy/not-reported", headers=make_actor(Role.outlet).headers).status_code == 403

    board = client.get("/api/v1/hierarchy/dashboard", headers=t.province.headers,
                       params={"campaign_id": str(t.campaign)}).json()
    members = {m["org_id"]: m for m in board["members"]}
    assert members[str(t.school.org_id)]["assets"] == {"ready": 1}
    assert members[str(t.school.org_id)]["reports"] == {"filed": 1, "draft": 1, "returned": 1}
    assert members[str(t.school.org_id)]["overdue"] == []
    assert members[str(t.deep.org_id)]["overdue"] == ["plan"]
    assert members[str(t.deep.org_id)]["submissions"] == {"pending": 1}
    assert (board["waiting_submissions"], board["waiting_reports"]) == (2, 1)
    assert str(t.deep.org_id) in board["overdue"]


def test_province_pages(client: TestClient) -> None:
    t = make_tree()
    sub = make_submission(t.school, t.campaign, "页面上的报送")
    csrf = web_login(client, t.province.username, "a-long-password")
    dashboard = client.get("/province")
    assert dashboard.status_code == 200
    assert t.school.org_name in dashboard.text
    queue = client.get("/province/prereview", params={"state": "pending"})
    assert "页面上的报送" in queue.text
    assert "待预审" in queue.text
    refused = client.post("/province/prereview/return", data={"csrf_token": csrf, "item": f"submission:{sub}",
                                                              "reason": ""}, follow_redirects=True)
    assert "退回时必须填写原因" in refused.text
    client.post("/province/prereview/forward", data={"csrf_token": csrf, "item": f"submission:{sub}"})
    assert client.get(f"/api/v1/submissions/{sub}", headers=t.school.headers).json()["prereview_state"] == "forwarded"
    assert "已转报" in client.get("/province/prereview").text
    page = client.get("/province/not-reported")
    assert page.status_code == 200
    assert t.deep.org_name in page.text
    assert "导出 Excel" in page.text
    listing = client.get("/submissions")  # members' submissions, each with its school's name
    assert "页面上的报送" in listing.text
    assert t.school.org_name in listing.text
    detail = client.get(f"/submissions/{sub}")  # the school's page, read-only for its province
    assert detail.status_code == 200
    assert f"/submissions/{sub}/edit" not in detail.text
    assert client.get(f"/submissions/{sub}/edit").status_code == 403


def test_report_desk_gate(servers: EmbeddedServers) -> None:
    """``report_at_ministry`` (for the ministry's report desk): members' filed reports wait for their parent."""
    from service.hierarchy.gate import report_at_ministry

    t = make_tree()
    member_filed = make_report(t.school, t.campaign, ReportKind.case, ReportStatus.filed)
    member_forwarded = make_report(t.school, t.campaign, ReportKind.plan, ReportStatus.forwarded)
    own_filed = make_report(t.province, t.campaign, ReportKind.case, ReportStatus.filed)

    def at_ministry() -> set[uuid.UUID]:
        with session_scope() as session:
            return set(session.scalars(select(Report.id).where(Report.campaign_id == t.campaign,
                                                               report_at_ministry())))

    assert at_ministry() == {member_filed, member_forwarded, own_filed}  # no pre-review: everything
    set_campaign(t.campaign, prereview=True)
    assert at_ministry() == {member_forwarded, own_filed}
    set_campaign(t.campaign, direct_submissions=True)
    assert at_ministry() == {member_filed, member_forwarded, own_filed}


def test_the_report_desk_waits_for_the_province(client: TestClient) -> None:
    """With pre-review on, the ministry's desk neither lists nor decides a school's filed case before its province
    forwards it; once forwarded, it does both."""
    t = make_tree(prereview=True)
    case = make_report(t.school, t.campaign, ReportKind.case, ReportStatus.filed)

    def desk_ids() -> set[str]:
        listed = client.get("/api/v1/reports", headers=t.editor.headers, params={"campaign_id": str(t.campaign)})
        assert listed.status_code == 200
        return {item["id"] for item in listed.json()["items"]}

    assert str(case) not in desk_ids()
    early = client.post(f"/api/v1/reports/{case}/decision", headers=t.editor.headers, json={"action": "accept"})
    assert early.status_code == 409
    assert early.json()["code"] == "awaiting_prereview"
    forwarded = client.post(f"/api/v1/hierarchy/prereview/reports/{case}/forward", headers=t.province.headers)
    assert forwarded.status_code == 200, forwarded.text
    assert str(case) in desk_ids()
    accepted = client.post(f"/api/v1/reports/{case}/decision", headers=t.editor.headers, json={"action": "accept"})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
