"""Reports against the real stack: a case written, linked to its photos, filed, accepted and featured; plans and
summaries that cannot be filed incomplete; one plan per organisation; who sees what; search; deadline status."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.audit import AuditLog
from service.db.campaign import Campaign
from service.db.events import OutboxEvent
from service.db.org import Organization, OrgKind, Role
from service.db.reporting import Report, ReportStatus
from service.db.submission import Submission
from service.reporting.deadlines import deadline_statuses
from tests.support import Actor, make_actor, make_campaign, make_org, make_ready_asset, make_submission

API = "/api/v1/reports"
PLAN = {"website_url": "https://www.sdedu.gov.cn/zjhdz", "liaison_name": "王老师", "liaison_phone": "0531-86123456",
        "liaison_email": "liaison@sdedu.gov.cn"}


def _create(client: TestClient, actor: Actor, campaign: uuid.UUID, **fields: object) -> dict[str, object]:
    response = client.post(API, headers=actor.headers, json={"campaign_id": str(campaign), **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _audit(report_id: object) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(AuditLog.action).where(AuditLog.target_id == uuid.UUID(str(report_id)))
                                    .order_by(AuditLog.at)).all())


def _events(report_id: object) -> list[tuple[str, uuid.UUID | None]]:
    with session_scope() as session:
        return [(e.kind, e.org_id) for e in session.scalars(select(OutboxEvent).where(
            OutboxEvent.subject_id == uuid.UUID(str(report_id))).order_by(OutboxEvent.created_at)).all()]


def test_a_case_with_two_photos_is_filed_accepted_and_featured(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    other = make_actor(Role.submitter)
    editor = make_actor(Role.editor)
    submission = make_submission(school, campaign, title="数控技能开放日")
    photos = [make_ready_asset(submission, f"cnc-{i}.jpg", with_thumb=True) for i in range(2)]
    foreign = make_ready_asset(make_submission(other, campaign), "other.jpg")

    case = _create(client, school, campaign, kind="case", title="产教融合典型案例：数控实训基地", body="")
    assert case["status"] == "draft"
    incomplete = client.post(f"{API}/{case['id']}/file", headers=school.headers)
    assert incomplete.status_code == 422
    assert incomplete.json()["code"] == "report_incomplete"
    assert "正文或附件文档" in incomplete.json()["detail"]

    refused = client.post(f"{API}/{case['id']}/assets", headers=school.headers, json={"asset_ids": [str(foreign)]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "asset_not_linkable"
    linked = client.post(f"{API}/{case['id']}/assets", headers=school.headers,
                         json={"asset_ids": [str(p) for p in photos]})
    assert linked.status_code == 200
    assert [a["asset_id"] for a in linked.json()["assets"]] == [str(p) for p in photos]
    again = client.post(f"{API}/{case['id']}/assets", headers=school.headers, json={"asset_ids": [str(photos[0])]})
    assert len(again.json()["assets"]) == 2  # linking twice changes nothing

    body = "## 基本情况\n学校与企业共建**数控实训基地**，面向社会开放。\n\n- 开放日 3 场\n- 接待市民 600 人"
    edited = client.patch(f"{API}/{case['id']}", headers=school.headers, json={"body": body})
    assert edited.status_code == 200
    assert "<h3>基本情况</h3>" in edited.json()["body_html"]
    assert "<strong>数控实训基地</strong>" in edited.json()["body_html"]
    found = client.get(API, headers=school.headers, params={"campaign_id": str(campaign), "q": "接待市民"}).json()
    assert [r["id"] for r in found["items"]] == [case["id"]]  # the edited body is searchable at once
    assert client.patch(f"{API}/{case['id']}", headers=other.headers, json={"title": "x"}).status_code == 404
    assert client.get(f"{API}/{case['id']}", headers=editor.headers).status_code == 404  # a draft is its own org's

    filed = client.post(f"{API}/{case['id']}/file", headers=school.headers)
    assert filed.status_code == 200, filed.text
    assert filed.json()["status"] == "filed"
    locked = client.patch(f"{API}/{case['id']}", headers=school.headers, json={"title": "改标题"})
    assert locked.status_code == 409
    assert locked.json()["code"] == "report_locked"
    assert client.post(f"{API}/{case['id']}/decision", headers=school.headers,
                       json={"action": "accept"}).status_code == 403
    early = client.post(f"{API}/{case['id']}/decision", headers=editor.headers, json={"action": "feature"})
    assert early.status_code == 409
    assert early.json()["code"] == "not_featurable"

    accepted = client.post(f"{API}/{case['id']}/decision", headers=editor.headers, json={"action": "accept"})
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    twice = client.post(f"{API}/{case['id']}/decision", headers=editor.headers, json={"action": "accept"})
    assert twice.status_code == 409
    assert twice.json()["code"] == "bad_transition"
    assert (twice.json()["status"], twice.json()["current_status"]) == (409, "accepted")
    featured = client.post(f"{API}/{case['id']}/decision", headers=editor.headers, json={"action": "feature"})
    assert featured.json()["featured"] is True

    assert _audit(case["id"]) == ["report.create", "report.edit", "report.edit", "report.file", "report.accept",
                                  "report.feature"]
    assert _events(case["id"]) == [("report_accepted", school.org_id)]
    listed = client.get(API, headers=editor.headers, params={"campaign_id": str(campaign), "featured": "true"})
    assert [r["id"] for r in listed.json()["items"]] == [case["id"]]


def test_a_returned_manuscript_tells_its_organisation_why_and_can_be_filed_again(client: TestClient) -> None:
    campaign = make_campaign()
    school, editor = make_actor(Role.submitter), make_actor(Role.editor)
    report = _create(client, school, campaign, kind="manuscript", title="技能让生活更美好", body="稿件正文")
    client.post(f"{API}/{report['id']}/file", headers=school.headers)
    no_reason = client.post(f"{API}/{report['id']}/decision", headers=editor.headers, json={"action": "return"})
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "reason_required"
    returned = client.post(f"{API}/{report['id']}/decision", headers=editor.headers,
                           json={"action": "return", "reason": "请补充活动时间和地点"})
    assert returned.json()["status"] == "returned"
    seen = client.get(f"{API}/{report['id']}", headers=school.headers).json()
    assert seen["return_reason"] == "请补充活动时间和地点"
    assert _events(report["id"]) == [("report_returned", school.org_id)]
    assert client.patch(f"{API}/{report['id']}", headers=school.headers,
                        json={"body": "稿件正文。时间：5月15日；地点：济南。"}).status_code == 200
    assert client.post(f"{API}/{report['id']}/file", headers=school.headers).json()["status"] == "filed"
    assert client.delete(f"{API}/{report['id']}", headers=school.headers).json()["code"] == "report_not_draft"
    with session_scope() as session:
        row = session.scalars(select(AuditLog).where(AuditLog.target_id == uuid.UUID(str(report["id"])),
                                                     AuditLog.action == "report.return")).one()
        assert row.detail["reason"] == "请补充活动时间和地点"
        assert row.actor_name == editor.username


def test_one_plan_per_organisation_and_a_plan_needs_its_website_and_liaison(client: TestClient) -> None:
    campaign = make_campaign()
    province = make_actor(Role.submitter, make_org(OrgKind.province, region="370000"))
    plan = _create(client, province, campaign, kind="plan", title="山东省职业教育活动周活动方案", body="方案正文")
    second = client.post(API, headers=province.headers,
                         json={"campaign_id": str(campaign), "kind": "plan", "title": "第二份方案"})
    assert second.status_code == 409
    assert second.json()["code"] == "report_exists"
    assert second.json()["report_id"] == plan["id"]

    missing = client.post(f"{API}/{plan['id']}/file", headers=province.headers).json()
    assert missing["code"] == "report_incomplete"
    assert set(missing["missing"]) == {"website_url", "liaison_name", "liaison_phone", "liaison_email"}
    for field, bad in (("website_url", "javascript:alert(1)"), ("website_url", "ftp://example.com"),
                       ("website_url", "https://" + "a" * 600 + ".cn"), ("liaison_phone", "12345"),
                       ("liaison_email", "not-an-address")):
        response = client.patch(f"{API}/{plan['id']}", headers=province.headers, json={field: bad})
        assert response.status_code == 422, (field, bad)
        assert response.json()["code"] == "validation_error"
    case_with_url = client.post(API, headers=province.headers, json={
        "campaign_id": str(campaign), "kind": "case", "title": "案例", "website_url": "https://example.cn"})
    assert case_with_url.json()["code"] == "plan_fields_only"

    assert client.patch(f"{API}/{plan['id']}", headers=province.headers, json=PLAN).status_code == 200
    filed = client.post(f"{API}/{plan['id']}/file", headers=province.headers).json()
    assert filed["status"] == "filed"
    assert filed["website_url"] == PLAN["website_url"]
    assert filed["liaison_phone"] == "0531-86123456"
    mobile = client.post(API, headers=make_actor(Role.submitter).headers, json={
        "campaign_id": str(campaign), "kind": "plan", "title": "方案", "liaison_phone": "+86 13812345678"})
    assert mobile.status_code == 201


def test_a_summary_needs_text_and_a_picture_or_document(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    summary = _create(client, school, campaign, kind="summary", title="活动周总结")
    assert set(client.post(f"{API}/{summary['id']}/file", headers=school.headers).json()["missing"]) == {
        "content", "body", "picture_or_document"}
    client.patch(f"{API}/{summary['id']}", headers=school.headers, json={"body": "本届活动周共开展活动 12 场。"})
    assert client.post(f"{API}/{summary['id']}/file", headers=school.headers).json()["missing"] == [
        "picture_or_document"]
    photo = make_ready_asset(make_submission(school, campaign), "summary.jpg")
    client.post(f"{API}/{summary['id']}/assets", headers=school.headers, json={"asset_ids": [str(photo)]})
    assert client.post(f"{API}/{summary['id']}/file", headers=school.headers).json()["status"] == "filed"


def test_a_province_sees_its_schools_filed_reports_not_their_drafts_and_search_finds_the_text(
        client: TestClient) -> None:
    campaign = make_campaign()
    province_org = make_org(OrgKind.province, region="370000")
    school_org = make_org(OrgKind.school, region="370102")
    with session_scope() as session:
        org = session.get(Organization, school_org)
        assert org is not None
        org.parent_id = province_org
    province, school = make_actor(Role.submitter, province_org), make_actor(Role.submitter, school_org)
    stranger, editor, outlet = make_actor(Role.submitter), make_actor(Role.editor), make_actor(Role.outlet)
    filed = _create(client, school, campaign, kind="case", title="校企合作案例",
                    body="学生在汽修实训中心为市民义务检修车辆")
    client.post(f"{API}/{filed['id']}/file", headers=school.headers)
    draft = _create(client, school, campaign, kind="manuscript", title="未完成的稿件", body="草稿")

    def ids(actor: Actor, **params: str) -> set[str]:
        response = client.get(API, headers=actor.headers, params={"campaign_id": str(campaign), **params})
        assert response.status_code == 200, response.text
        return {r["id"] for r in response.json()["items"]}

    assert ids(school) == {filed["id"], draft["id"]}
    assert ids(province) == {filed["id"]}
    assert ids(stranger) == set()
    assert ids(editor) == {filed["id"]}
    assert client.get(API, headers=outlet.headers).status_code == 403
    assert client.get(f"{API}/{filed['id']}", headers=province.headers).status_code == 200
    assert client.get(f"{API}/{draft['id']}", headers=province.headers).status_code == 404
    assert client.patch(f"{API}/{filed['id']}", headers=province.headers, json={"title": "x"}).status_code == 403
    assert ids(editor, q="义务检修") == {filed["id"]}
    assert ids(editor, q="汽修实训") == {filed["id"]}
    assert ids(editor, q="100%_") == set()
    assert ids(editor, kind="case", status="filed", region="37") == {filed["id"]}
    assert ids(editor, region="11") == set()
    with session_scope() as session:  # the forwarded status the province's pre-review sets shows as such
        report = session.get(Report, uuid.UUID(filed["id"]))
        assert report is not None
        report.status = ReportStatus.forwarded
    assert ids(editor, status="forwarded") == {filed["id"]}
    assert client.post(f"{API}/{filed['id']}/decision", headers=editor.headers,
                       json={"action": "accept"}).json()["status"] == "accepted"


def test_deadlines_come_from_what_was_filed_in_beijing_time(client: TestClient) -> None:
    campaign_id = make_campaign()
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.plan_deadline, campaign.summary_deadline = date(2023, 4, 28), date(2023, 5, 27)
    school = make_actor(Role.submitter)
    with session_scope() as session:  # a media submission labelled "summary" is not a summary
        session.add(Submission(campaign_id=campaign_id, org_id=school.org_id, created_by=school.user_id,
                               title="总结照片", category="summary"))
    april_28_late = datetime(2023, 4, 28, 15, 30, tzinfo=UTC)  # 23:30 in Beijing: still on time

    def states(now: datetime) -> dict[str, tuple[str, object]]:
        with session_scope() as session:
            campaign = session.get(Campaign, campaign_id)
            assert campaign is not None
            return {d.item: (d.state, d.filed_on or d.days_left)
                    for d in deadline_statuses(session, org_id=school.org_id, campaign=campaign, now=now)}

    assert states(april_28_late)["plan"] == ("due", 0)
    assert states(april_28_late + timedelta(hours=1))["plan"][0] == "overdue"  # 00:30 on 29 April in Beijing
    assert states(april_28_late)["summary"][0] == "due"
    plan = _create(client, school, campaign_id, kind="plan", title="方案", body="正文", **PLAN)
    client.post(f"{API}/{plan['id']}/file", headers=school.headers)
    with session_scope() as session:
        report = session.get(Report, uuid.UUID(str(plan["id"])))
        assert report is not None
        report.filed_at = datetime(2023, 4, 27, 16, 30, tzinfo=UTC)  # 00:30 on 28 April in Beijing
    assert states(april_28_late)["plan"] == ("filed", date(2023, 4, 28))
    assert states(april_28_late)["summary"][0] == "due"
    client.post(f"{API}/{plan['id']}/decision", headers=make_actor(Role.editor).headers,
                json={"action": "return", "reason": "网址打不开"})
    assert states(april_28_late)["plan"][0] == "returned"
    api = client.get(f"{API}/deadlines", headers=school.headers, params={"campaign_id": str(campaign_id)})
    assert api.status_code == 200
    assert {d["item"]: d["state"] for d in api.json()["items"]}["plan"] == "returned"
    assert client.get(f"{API}/deadlines", headers=make_actor(Role.submitter).headers,
                      params={"campaign_id": str(campaign_id), "org_id": str(school.org_id)}).status_code == 404


def test_unlinking_and_deleting_a_draft_are_recorded(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    photo = make_ready_asset(make_submission(school, campaign), "a.jpg")
    draft = _create(client, school, campaign, kind="manuscript", title="稿件草稿", body="正文")
    client.post(f"{API}/{draft['id']}/assets", headers=school.headers, json={"asset_ids": [str(photo)]})
    unlinked = client.delete(f"{API}/{draft['id']}/assets/{photo}", headers=school.headers)
    assert unlinked.status_code == 200
    assert unlinked.json()["assets"] == []
    assert client.delete(f"{API}/{draft['id']}/assets/{photo}", headers=school.headers).status_code == 404
    assert client.delete(f"{API}/{draft['id']}", headers=school.headers).status_code == 204
    assert client.get(f"{API}/{draft['id']}", headers=school.headers).status_code == 404
    assert _audit(draft["id"]) == ["report.create", "report.edit", "report.edit", "report.delete"]
    with session_scope() as session:  # the photo itself is untouched
        assert session.get(Report, uuid.UUID(str(draft["id"]))) is None
        assert session.get(Asset, photo) is not None


def test_deleting_a_draft_removes_its_documents_from_storage(client: TestClient) -> None:
    """A deleted draft leaves no document behind: neither the rows nor the original and thumbnail in S3."""
    from service.core.storage import get_storage
    from service.db.reporting import ReportDocument
    from tests.documents_samples import make_document, make_report

    school = make_actor(Role.submitter)
    report = make_report(school, make_campaign())
    document = make_document(school, report, thumbnail=b"\xff\xd8\xff\xe0 not really a jpeg")
    with session_scope() as session:
        row = session.get(ReportDocument, document)
        assert row is not None
        assert row.thumbnail_key is not None
        keys = [row.object_key, row.thumbnail_key]
    storage = get_storage()
    assert all(storage.exists(key) for key in keys)
    assert client.delete(f"/api/v1/reports/{report}", headers=school.headers).status_code == 204
    with session_scope() as session:
        assert session.get(ReportDocument, document) is None
    assert not any(storage.exists(key) for key in keys)
