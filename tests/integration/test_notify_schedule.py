"""Scheduled notifications against real parts (PostgreSQL, a real SMTP server): deadline reminders only to those
who have not filed, the daily digest, a lifted embargo and a release announced to their outlets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.core.beijing import BEIJING
from service.core.config import get_settings
from service.core.db import session_scope
from service.core.events import EventKind
from service.db.campaign import Campaign
from service.db.events import OutboxEvent
from service.db.notify import Channel, DeliveryStatus, Digest, Notification
from service.db.org import OrgKind, Role
from service.db.portal import Audience, Collection, CollectionItem, CollectionOutlet
from service.db.reporting import Report, ReportKind, ReportStatus
from service.notify import preferences, schedule
from tests.notify_support import (
    SmtpSink,
    deliveries,
    dispatch_and_send,
    publish_to,
    with_email,
)
from tests.support import make_actor, make_campaign, make_org, make_ready_asset, make_submission

pytestmark = pytest.mark.usefixtures("smtp_settings")  # every test sends through the test's SMTP server


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


