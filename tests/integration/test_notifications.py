"""Notifications end to end in-process against real parts: PostgreSQL, a real SMTP server (aiosmtpd) and a local
HTTP robot receiver: delivery by each channel, once, with retries and preferences; robot settings and pages. Scheduled
announcements (reminders, digests, embargoes) are in test_notify_schedule.py; the worker process on the ``notify``
queue in test_notify_worker.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.core.config import get_settings
from service.core.db import session_scope
from service.core.errors import Problem
from service.core.events import EventKind, publish
from service.db.events import OutboxEvent
from service.db.notify import DeliveryStatus, Notification, OrgWebhook, WebhookKind
from service.db.org import OrgKind, Role
from service.notify import schedule, webhooks
from tests.notify_support import (
    RobotReceiver,
    SmtpSink,
    deliveries,
    dispatch_and_send,
    publish_to,
    with_email,
)
from tests.support import Actor, make_actor, make_campaign, make_org, make_ready_asset, make_submission

pytestmark = pytest.mark.usefixtures("smtp_settings")  # every test sends through the test's SMTP server


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
