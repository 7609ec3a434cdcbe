"""Notifications end to end in-process against real parts: PostgreSQL, a real SMTP server (aiosmtpd) and a local
HTTP robot receiver. The worker process on the ``notify`` queue is exercised in test_notify_worker.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.beijing import BEIJING
from service.core.config import get_settings
from service.core.db import session_scope
from service.core.errors import Problem
from service.core.events import EventKind, publish
from service.db.campaign import Campaign
from service.db.events import OutboxEvent
from service.db.notify import Channel, DeliveryStatus, Digest, Notification, OrgWebhook, WebhookKind
from service.db.org import OrgKind, Role
from service.db.portal import Audience, Collection, CollectionItem, CollectionOutlet
from service.db.reporting import Report, ReportKind, ReportStatus
from service.notify import preferences, schedule, webhooks
from tests.notify_support import RobotReceiver, SmtpSink, address, deliveries, dispatch_and_send, notify_env
from tests.support import Actor, make_actor, make_campaign, make_org, make_ready_asset, make_submission


@pytest.fixture(scope="module")
def smtp(servers: object) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def robot() -> Iterator[RobotReceiver]:
    receiver = RobotReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(autouse=True)
def smtp_settings(smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in notify_env(smtp).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def with_email(actor: Actor) -> str:
    mail = address()
    with session_scope() as session:
        preferences.save_profile(session, user_id=actor.user_id, email=mail, language=None)
    return mail


def set_robot(org_id: uuid.UUID, kind: WebhookKind, url: str, secret: str | None = None) -> None:
    with session_scope() as session:
        session.add(OrgWebhook(org_id=org_id, kind=kind, url=url, secret=secret, kinds=[], enabled=True))


def reject(editor: Actor, asset_id: uuid.UUID, reason: str = "commercial") -> None:
    from service.core.security import Principal
    from service.review.reasons import Action
    from service.review.service import decide

    principal = Principal(user_id=editor.user_id, username=editor.username, role=editor.role, org_id=editor.org_id)
    with session_scope() as session:
        decide(session, principal=principal, asset_id=asset_id, action=Action.reject, version=None,
               reason_code=reason, reason_text="横幅上有商家名称")


def test_a_rejected_file_reaches_its_organisation_in_app_by_email_and_in_the_wecom_group(
        smtp: SmtpSink, robot: RobotReceiver, client: TestClient) -> None:
    org = make_org(OrgKind.school)
    alice, bob = make_actor(Role.submitter, org), make_actor(Role.submitter, org)
    outsider = make_actor(Role.submitter)
    editor = make_actor(Role.editor)
    alice_mail = with_email(alice)
    set_robot(org, WebhookKind.wecom, f"{robot.url}/wecom/{org}?key=abcdef123456")
    campaign = make_campaign()
    asset_id = make_ready_asset(make_submission(alice, campaign), "广告横幅.jpg")

    reject(editor, asset_id)
    assert dispatch_and_send().count("sent") >= 2

    mails = smtp.to(alice_mail)
    assert len(mails) == 1
    assert "文件未通过审核" in mails[0]["Subject"]
    assert "广告横幅.jpg" in mails[0]["Subject"]
    text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = mails[0].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "含商业推广内容" in text
    assert "横幅上有商家名称" in text
    assert "/submissions/" in text
    assert "<a href=" in html
    posts = robot.at(f"/wecom/{org}")
    assert len(posts) == 1
    assert posts[0].query == {"key": "abcdef123456"}
    assert posts[0].body["msgtype"] == "markdown"
    assert set(posts[0].body["markdown"]) == {"content"}
    assert "文件未通过审核" in posts[0].body["markdown"]["content"]

    for actor in (alice, bob):  # everyone in the organisation sees it in the centre
        page = client.get("/api/v1/notifications", headers=actor.headers).json()
        assert page["unread"] == 1
        assert page["items"][0]["kind"] == "asset_rejected"
        assert client.get("/api/v1/notifications/unread-count", headers=actor.headers).json() == {"unread": 1}
    assert client.get("/api/v1/notifications", headers=outsider.headers).json()["total"] == 0
    notification_id = client.get("/api/v1/notifications", headers=alice.headers).json()["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{notification_id}/read", headers=outsider.headers).status_code == 404
    assert client.post(f"/api/v1/notifications/{notification_id}/read", headers=alice.headers).status_code == 200
    assert client.get("/api/v1/notifications/unread-count", headers=alice.headers).json() == {"unread": 0}
    assert client.get("/api/v1/notifications/unread-count", headers=bob.headers).json() == {"unread": 1}
    assert client.post("/api/v1/notifications/read-all", headers=bob.headers).json() == {"marked": 1}


def publish_to(org_id: uuid.UUID, kind: EventKind = EventKind.release_published, title: str = "开幕式精选",
               dedupe_key: str | None = None) -> None:
    with session_scope() as session:
        publish(session, kind, subject_kind="collection", subject_id=uuid.uuid4(), org_id=org_id,
                data={"title": title}, dedupe_key=dedupe_key)


def test_dingtalk_robot_gets_its_markdown_format_with_a_valid_signature(robot: RobotReceiver) -> None:
    outlet = make_actor(Role.outlet)
    secret = "SEC" + uuid.uuid4().hex
    set_robot(outlet.org_id, WebhookKind.dingtalk, f"{robot.url}/ding/{outlet.org_id}?access_token=tok123", secret)
    publish_to(outlet.org_id, title="职教周开幕式")
    dispatch_and_send()

    posts = robot.at(f"/ding/{outlet.org_id}")
    assert len(posts) == 1
    post = posts[0]
    assert post.body["msgtype"] == "markdown"
    assert post.body["markdown"]["title"] == "新发布素材：职教周开幕式"
    assert "职教周开幕式" in post.body["markdown"]["text"]
    assert post.query["access_token"] == "tok123"
    timestamp = post.query["timestamp"]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert post.query["sign"] == expected
    assert abs(int(timestamp) / 1000 - datetime.now(UTC).timestamp()) < 120


def test_running_the_dispatcher_and_the_sender_twice_sends_one_email(smtp: SmtpSink) -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = with_email(actor)
    publish_to(org, EventKind.report_returned, "活动方案")
    dispatch_and_send()
    assert dispatch_and_send() == []  # nothing left to take
    rows = deliveries(user_id=actor.user_id)
    assert len(rows) == 1
    assert rows[0].status == DeliveryStatus.sent
    assert rows[0].attempts == 1
    from service.notify import dispatch

    with session_scope() as session:  # a duplicate send task (redelivered message) finds it sent
        assert dispatch.send(session, rows[0].id)[0] == dispatch.Outcome.skipped
    with session_scope() as session:  # the same event dispatched again (lost dispatched_at) adds nothing
        event = session.get(OutboxEvent, rows[0].event_id)
        assert event is not None
        assert dispatch.dispatch_event(session, event, datetime.now(UTC)) == []
        assert session.scalar(select(Notification.id).where(Notification.user_id == actor.user_id)) is not None
    assert len(smtp.to(mail)) == 1


def test_preferences_are_respected(smtp: SmtpSink, client: TestClient) -> None:
    org = make_org(OrgKind.school)
    quiet, default = make_actor(Role.submitter, org), make_actor(Role.submitter, org)
    quiet_mail, default_mail = with_email(quiet), with_email(default)
    body = {"language": "en", "choices": [{"kind": "report_returned", "channel": "email", "enabled": False},
                                          {"kind": "report_returned", "channel": "in_app", "enabled": False}]}
    answer = client.put("/api/v1/notification-preferences", headers=quiet.headers, json=body)
    assert answer.status_code == 200, answer.text
    chosen = {(c["kind"], c["channel"]): c for c in answer.json()["choices"]}
    assert chosen[("report_returned", "email")]["enabled"] is False
    assert chosen[("asset_rejected", "email")]["enabled"] is True  # untouched kinds keep the default
    publish_to(org, EventKind.report_returned, "活动方案")
    publish_to(org, EventKind.asset_rejected, "photo.jpg")
    dispatch_and_send()
    assert [m["Subject"] for m in smtp.to(quiet_mail)] == ["[Activity Week] File rejected: photo.jpg"]
    assert sorted(m["Subject"] for m in smtp.to(default_mail)) == ["【活动周】报送材料被退回：活动方案",
                                                                     "【活动周】文件未通过审核：photo.jpg"]
    quiet_items = client.get("/api/v1/notifications", headers=quiet.headers).json()["items"]
    assert [n["kind"] for n in quiet_items] == ["asset_rejected"]
    # the robot is the organisation's: a person cannot choose it, and a digest is for e-mail only
    refused = client.put("/api/v1/notification-preferences", headers=quiet.headers,
                         json={"choices": [{"kind": "report_returned", "channel": "webhook"}]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "channel_not_personal"
    refused = client.put("/api/v1/notification-preferences", headers=quiet.headers,
                         json={"choices": [{"kind": "report_returned", "channel": "in_app", "digest": "daily"}]})
    assert refused.json()["code"] == "digest_email_only"


def add_report(campaign_id: uuid.UUID, org_id: uuid.UUID, kind: ReportKind, status: ReportStatus) -> None:
    with session_scope() as session:
        session.add(Report(campaign_id=campaign_id, org_id=org_id, kind=kind, status=status, title="活动方案"))


def reminder_orgs(campaign_id: uuid.UUID) -> dict[uuid.UUID, list[str]]:
    with session_scope() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.campaign_id == campaign_id,
                                                         OutboxEvent.kind == "deadline_reminder"))
        found: dict[uuid.UUID, list[str]] = {}
        for row in rows:
            assert row.org_id is not None
            assert row.dedupe_key is not None
            found.setdefault(row.org_id, []).append(row.dedupe_key)
        return found


def test_deadline_reminders_go_only_to_organisations_that_have_not_filed(smtp: SmtpSink) -> None:
    now = datetime(2026, 4, 25, 9, 0, tzinfo=BEIJING)  # plan due 28 April: 3 days
    campaign = make_campaign()
    with session_scope() as session:
        row = session.get(Campaign, campaign)
        assert row is not None
        row.plan_deadline = now.date() + timedelta(days=3)
        row.summary_deadline = now.date() + timedelta(days=30)
    filed, forwarded, draft, returned, none = (make_org(OrgKind.province) for _ in range(5))
    outlet = make_actor(Role.outlet)
    actors = {org: make_actor(Role.submitter, org) for org in (filed, forwarded, draft, returned, none)}
    add_report(campaign, filed, ReportKind.plan, ReportStatus.filed)
    add_report(campaign, forwarded, ReportKind.plan, ReportStatus.forwarded)
    add_report(campaign, draft, ReportKind.plan, ReportStatus.draft)
    add_report(campaign, returned, ReportKind.plan, ReportStatus.returned)
    add_report(campaign, none, ReportKind.summary, ReportStatus.filed)  # a summary is not a plan

    with session_scope() as session:
        schedule.remind_deadlines(session, now=now)
    with session_scope() as session:  # the hourly check again, same day: nobody twice
        schedule.remind_deadlines(session, now=now + timedelta(hours=1))
    found = reminder_orgs(campaign)
    mine = {filed, forwarded, draft, returned, none}
    assert set(found) & mine == {draft, returned, none}  # (other tests' schools have not filed either)
    assert found[none] == [f"reminder:plan:3d:{campaign}:{none}"]
    assert outlet.org_id not in found
    with session_scope() as session:  # two days later: the 1-day reminder
        schedule.remind_deadlines(session, now=now + timedelta(days=2))
    assert sorted(reminder_orgs(campaign)[none]) == [f"reminder:plan:1d:{campaign}:{none}",
                                                      f"reminder:plan:3d:{campaign}:{none}"]
    mail = with_email(actors[none])
    dispatch_and_send()
    mails = smtp.to(mail)
    # Both reminders reach the person by e-mail: as one e-mail listing them when one dispatch batch took both (the
    # usual case), as two when other organisations' reminders (every school of a full test database) fill a batch
    # between them. Never a third, never none.
    texts = [m.get_body(("plain",)).get_content() for m in mails]  # type: ignore[union-attr]
    assert 1 <= len(mails) <= 2
    if len(mails) == 1:
        assert mails[0]["Subject"] == "【活动周】截止日期提醒（2 项）"
    assert any("还剩 3 天" in text for text in texts)
    assert any("还剩 1 天" in text for text in texts)
    with session_scope() as session:
        bodies = list(session.scalars(select(Notification.body).where(Notification.user_id == actors[none].user_id)))
    assert len(bodies) == 2
    assert any("还剩 1 天" in b for b in bodies)
    assert any("还剩 3 天" in b for b in bodies)


def test_daily_digest_collects_the_days_notifications_into_one_email(smtp: SmtpSink) -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = with_email(actor)
    with session_scope() as session:
        for kind in (EventKind.report_returned, EventKind.asset_rejected):
            preferences.save(session, user_id=actor.user_id, kind=kind.value, channel=Channel.email,
                             enabled=True, digest=Digest.daily)
    publish_to(org, EventKind.report_returned, "活动方案")
    publish_to(org, EventKind.asset_rejected, "photo.jpg")
    dispatch_and_send()
    assert smtp.to(mail) == []  # held for the digest
    assert {d.status for d in deliveries(user_id=actor.user_id)} == {DeliveryStatus.held}

    hour = get_settings().notify_digest_hour
    today = datetime.now(UTC).astimezone(BEIJING).date() + timedelta(days=1)
    before = datetime(today.year, today.month, today.day, hour, 0, tzinfo=BEIJING) - timedelta(minutes=5)
    with session_scope() as session:
        assert schedule.send_digests(session, now=before) == []  # not yet the hour
    after = before + timedelta(minutes=10)
    with session_scope() as session:
        digests = schedule.send_digests(session, now=after)
    with session_scope() as session:
        assert schedule.send_digests(session, now=after + timedelta(minutes=10)) == []  # once a day
    from service.notify import dispatch

    for digest_id in digests:
        with session_scope() as session:
            dispatch.send(session, digest_id)
    mails = smtp.to(mail)
    assert len(mails) == 1
    assert "通知汇总（2 条）" in mails[0]["Subject"]
    text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "活动方案" in text
    assert "photo.jpg" in text
    statuses = {d.kind: d.status for d in deliveries(user_id=actor.user_id)}
    assert statuses == {"report_returned": DeliveryStatus.digested, "asset_rejected": DeliveryStatus.digested,
                        "digest": DeliveryStatus.sent}


def test_a_lifted_embargo_is_announced_once_to_the_release_outlets() -> None:
    editor = make_actor(Role.editor)
    named, other = make_actor(Role.outlet), make_actor(Role.outlet)
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "opening.jpg")
    now = datetime.now(UTC)
    with session_scope() as session:
        collection = Collection(title="开幕式（禁发）", audience=Audience.named, release_at=now - timedelta(hours=2),
                                embargo_until=now + timedelta(hours=1), created_by=editor.user_id)
        session.add(collection)
        session.flush()
        session.add(CollectionOutlet(collection_id=collection.id, org_id=named.org_id))
        session.add(CollectionItem(collection_id=collection.id, asset_id=asset_id, position=1))
        collection_id = collection.id

    def events() -> list[tuple[str, uuid.UUID | None]]:
        with session_scope() as session:
            return [(e.kind, e.org_id) for e in session.scalars(
                select(OutboxEvent).where(OutboxEvent.subject_id == collection_id))]

    with session_scope() as session:
        schedule.announce_releases(session, now=now)
    assert events() == []  # still under embargo
    for minutes in (61, 62):  # the periodic check after the embargo, twice
        with session_scope() as session:
            schedule.announce_releases(session, now=now + timedelta(minutes=minutes))
    assert events() == [("embargo_lifted", named.org_id)]
    assert other.org_id not in [org for _, org in events()]


def test_a_collection_saved_as_released_is_announced_at_once_to_its_outlet() -> None:
    from service.core.security import Principal
    from service.portal.collections import create_collection
    from service.portal.schemas import CollectionIn

    editor = make_actor(Role.editor)
    named = make_actor(Role.outlet)
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "closing.jpg")
    with session_scope() as session:
        from service.db.asset import Asset, ReviewStatus

        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.review_status = ReviewStatus.featured
    principal = Principal(user_id=editor.user_id, username=editor.username, role=editor.role, org_id=editor.org_id)
    with session_scope() as session:
        collection = create_collection(session, principal=principal, data=CollectionIn(
            title="闭幕式精选", audience=Audience.named, outlet_ids=[named.org_id], asset_ids=[asset_id],
            release_at=datetime.now(UTC) - timedelta(minutes=1)))
        collection_id = collection.id
    with session_scope() as session:
        found = [(e.kind, e.org_id, e.data["path"]) for e in session.scalars(
            select(OutboxEvent).where(OutboxEvent.subject_id == collection_id))]
    assert found == [("release_published", named.org_id, f"/portal/collections/{collection_id}")]
    with session_scope() as session:  # the periodic check afterwards adds nothing
        schedule.announce_releases(session)
    with session_scope() as session:
        assert len(list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.subject_id == collection_id)))) == 1


def test_an_smtp_outage_is_retried_and_then_delivered_once(smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> None:
    from service.notify import dispatch
    from tests.notify_support import free_port

    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = with_email(actor)
    monkeypatch.setenv("MEDIADESK_SMTP_PORT", str(free_port()))  # nobody listens there
    get_settings.cache_clear()
    publish_to(org, EventKind.submission_returned, "开放校园活动")
    assert "retry" in dispatch_and_send()
    row = deliveries(user_id=actor.user_id)[0]
    assert row.status == DeliveryStatus.queued
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at is not None
    monkeypatch.setenv("MEDIADESK_SMTP_PORT", str(smtp.port))
    get_settings.cache_clear()
    for _ in range(2):  # the retry, and a duplicate of it
        with session_scope() as session:
            dispatch.send(session, row.id)
    assert len(smtp.to(mail)) == 1
    row = deliveries(user_id=actor.user_id)[0]
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.sent, 2, None)


def test_robot_urls_are_guarded_against_ssrf(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("http://example.com/robot", "https://10.0.0.8/robot", "https://169.254.169.254/latest",
                "https://localhost/robot", "http://127.0.0.2:8080/x", "file:///etc/passwd", "https://user:pw@x.com/",
                "https://[::1]/robot"):
        with pytest.raises(Problem) as refused:
            webhooks.check_url(url)
        assert refused.value.code == "webhook_url_refused", url
    webhooks.check_url("http://127.0.0.1:9/robot")  # a local receiver, in test/development only

    class Production:
        env = "production"

    monkeypatch.setattr(webhooks, "get_settings", lambda: Production())
    with pytest.raises(Problem):
        webhooks.check_url("http://127.0.0.1:9/robot")
    with pytest.raises(Problem):
        webhooks.check_url("https://127.0.0.1/robot")


def test_webhook_settings_never_show_the_token_or_secret(client: TestClient) -> None:
    org = make_org(OrgKind.school)
    member, other = make_actor(Role.submitter, org), make_actor(Role.submitter)
    admin = make_actor(Role.admin)
    body: dict[str, Any] = {"kind": "dingtalk", "url": "http://127.0.0.1:9/robot/send?access_token=abcdef987654",
                            "secret": "SECverysecret1234", "kinds": ["deadline_reminder"]}
    saved = client.put(f"/api/v1/orgs/{org}/webhook", headers=member.headers, json=body)
    assert saved.status_code == 200, saved.text
    shown = client.get(f"/api/v1/orgs/{org}/webhook", headers=admin.headers).json()
    assert shown["secret_set"] is True
    assert "secret" not in shown
    assert "abcdef987654" not in shown["url"]
    assert shown["url"].endswith("access_token=…7654")
    assert "SECverysecret" not in saved.text
    assert client.get(f"/api/v1/orgs/{org}/webhook", headers=other.headers).status_code == 403
    private = client.put(f"/api/v1/orgs/{org}/webhook", headers=member.headers,
                         json={**body, "url": "https://192.168.1.10/robot"})
    assert private.status_code == 422
    assert private.json()["code"] == "webhook_url_refused"
    unknown = client.put(f"/api/v1/orgs/{org}/webhook", headers=member.headers, json={**body, "kinds": ["nope"]})
    assert unknown.status_code == 422
    assert client.delete(f"/api/v1/orgs/{org}/webhook", headers=member.headers).status_code == 204
    assert client.get(f"/api/v1/orgs/{org}/webhook", headers=member.headers).json()["configured"] is False
    from service.db.audit import AuditLog

    with session_scope() as session:  # who pointed the organisation's messages where: audited, without the token
        trail = [(a.action, a.actor_name, a.detail) for a in session.scalars(
            select(AuditLog).where(AuditLog.org_id == org).order_by(AuditLog.at))]
    assert [(action, actor) for action, actor, _ in trail] == [("notify.webhook_set", member.username),
                                                                ("notify.webhook_delete", member.username)]
    assert "abcdef987654" not in str(trail)
    assert "SECverysecret" not in str(trail)


def test_without_smtp_the_embedded_run_writes_to_the_mail_folder(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Any) -> None:
    monkeypatch.delenv("MEDIADESK_SMTP_HOST")
    monkeypatch.setenv("MEDIADESK_NOTIFY_MAIL_DIR", str(tmp_path / "mail"))
    get_settings.cache_clear()
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = with_email(actor)
    publish_to(org, EventKind.report_accepted, "典型案例：校园开放日")
    assert "sent" in dispatch_and_send()
    files = list((tmp_path / "mail" / "new").iterdir())
    assert len(files) == 1
    content = files[0].read_bytes()
    assert mail.encode() in content
    assert b"X-Mediadesk-Delivery" in content


def test_the_notification_page_shows_the_bell_and_the_list_in_chinese(client: TestClient) -> None:
    from tests.support import web_login

    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org, password="notify-page-2023")
    publish_to(org, EventKind.report_forwarded, "活动方案")
    dispatch_and_send()
    web_login(client, actor.username, "notify-page-2023")  # type: ignore[arg-type]
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "通知中心" in page.text
    assert "报送材料已转报：活动方案" in page.text
    assert 'id="bell-count">1<' in page.text
    assert "北京时间" in page.text


def test_an_organisation_member_sets_its_robot_on_the_page(client: TestClient) -> None:
    from tests.support import csrf_from, web_login

    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org, password="notify-robot-2023")
    web_login(client, actor.username, "notify-robot-2023")  # type: ignore[arg-type]
    token = csrf_from(client.get("/notifications").text)
    refused = client.post("/notifications/webhook", data={"csrf_token": token, "kind": "wecom",
                                                          "url": "https://10.1.2.3/cgi-bin/webhook/send?key=x"})
    assert refused.status_code == 422
    assert "机器人地址不可用" in refused.text
    saved = client.post("/notifications/webhook", follow_redirects=False, data={
        "csrf_token": token, "kind": "dingtalk", "url": "http://127.0.0.1:9/robot/send?access_token=tok98765",
        "secret": "SECpagesecret", "enabled": "1", "kinds": ["deadline_reminder"]})
    assert saved.status_code == 303
    page = client.get("/notifications").text
    assert "钉钉" in page
    assert "access_token=…8765" in page
    assert "tok98765" not in page
    assert "SECpagesecret" not in page
    assert "已设置加签密钥" in page
    with session_scope() as session:
        robot = session.scalar(select(OrgWebhook).where(OrgWebhook.org_id == org))
        assert robot is not None
        assert (robot.kind, robot.secret, robot.kinds) == (WebhookKind.dingtalk, "SECpagesecret", ["deadline_reminder"])


def test_old_notifications_and_finished_deliveries_are_pruned() -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    with_email(actor)
    publish_to(org, EventKind.report_accepted, "活动总结")
    dispatch_and_send()
    assert deliveries(user_id=actor.user_id)[0].status == DeliveryStatus.sent
    with session_scope() as session:  # nothing is old yet
        schedule.prune(session)
    assert len(deliveries(user_id=actor.user_id)) == 1
    old = datetime.now(UTC) - timedelta(days=get_settings().notify_retention_days + 1)
    with session_scope() as session:  # this user's rows age past the retention (other tests' rows stay fresh)
        from sqlalchemy import update

        from service.db.notify import NotificationDelivery

        session.execute(update(Notification).where(Notification.user_id == actor.user_id).values(created_at=old))
        session.execute(update(NotificationDelivery).where(NotificationDelivery.user_id == actor.user_id)
                        .values(created_at=old))
    with session_scope() as session:
        schedule.prune(session)
    assert deliveries(user_id=actor.user_id) == []
    with session_scope() as session:
        assert session.scalar(select(Notification.id).where(Notification.user_id == actor.user_id)) is None


def test_a_bulk_rejection_sends_one_email_and_one_robot_post_listing_the_files(
        smtp: SmtpSink, robot: RobotReceiver, client: TestClient) -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = with_email(actor)
    set_robot(org, WebhookKind.wecom, f"{robot.url}/bulk/{org}?key=bulk")
    submission = uuid.uuid4()
    with session_scope() as session:  # one bulk action: one transaction, one subject
        for name in ("a.jpg", "b.jpg", "c.jpg"):
            publish(session, EventKind.asset_rejected, subject_kind="submission", subject_id=submission,
                    org_id=org, data={"title": name, "reason": "画面质量不足"})
    dispatch_and_send()
    mails = smtp.to(mail)
    assert len(mails) == 1
    assert mails[0]["Subject"] == "【活动周】文件未通过审核（3 项）"
    text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(f"文件未通过审核：{n}" in text for n in ("a.jpg", "b.jpg", "c.jpg"))
    assert f"/submissions/{submission}" in text
    assert len(robot.at(f"/bulk/{org}")) == 1
    assert "c.jpg" in robot.at(f"/bulk/{org}")[0].body["markdown"]["content"]
    assert client.get("/api/v1/notifications", headers=actor.headers).json()["unread"] == 3
