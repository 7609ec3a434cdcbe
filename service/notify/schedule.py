"""Events nobody's click causes, found by periodic checks: deadline reminders, releases that became visible (and
lifted embargoes), and the daily digest e-mails. Each publishes with a ``dedupe_key`` (or a unique delivery key), so
a check that runs twice, or on two beat replicas, tells nobody twice. Dates are Beijing dates.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from sqlalchemy import String, and_, cast, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from service.core.beijing import BEIJING, beijing_today
from service.core.config import get_settings
from service.core.events import EventKind, publish
from service.db.campaign import Campaign
from service.db.events import OutboxEvent
from service.db.notify import Channel, DeliveryStatus, Notification, NotificationDelivery
from service.db.org import Organization, OrgKind, User
from service.db.portal import Audience, Collection, CollectionItem, CollectionOutlet, Revocation
from service.db.reporting import Report, ReportKind, ReportStatus
from service.notify import dispatch, messages

#: Organisations that file plans and summaries.
SUBMITTING_KINDS = (OrgKind.province, OrgKind.committee, OrgKind.school, OrgKind.department)
#: A report in one of these states counts as filed (draft and returned do not).
FILED = (ReportStatus.filed, ReportStatus.forwarded, ReportStatus.accepted)
#: days before the deadline -> reminder label (the day after each is a catch-up, should a day's check be missed)
REMINDER_DAYS: dict[int, str] = {3: "3d", 2: "3d", 1: "1d", 0: "1d"}
DEADLINES: dict[ReportKind, str] = {ReportKind.plan: "plan_deadline", ReportKind.summary: "summary_deadline"}


def remind_deadlines(session: Session, *, now: datetime | None = None) -> int:
    """Publish ``deadline_reminder`` to each submitting organisation (with active users) that has not filed its plan
    or summary, 3 days and 1 day before the deadline; returns how many new events were written."""
    today = beijing_today(now)
    written = 0
    campaigns = session.scalars(select(Campaign).where(or_(
        Campaign.plan_deadline.between(today, today + timedelta(days=3)),
        Campaign.summary_deadline.between(today, today + timedelta(days=3)))))
    for campaign in campaigns:
        for kind, column in DEADLINES.items():
            deadline: date | None = getattr(campaign, column)
            if deadline is None or (deadline - today).days not in REMINDER_DAYS:
                continue
            days_left = (deadline - today).days
            label = REMINDER_DAYS[days_left]
            filed = exists().where(Report.org_id == Organization.id, Report.campaign_id == campaign.id,
                                   Report.kind == kind, Report.status.in_(FILED))
            has_users = exists().where(User.org_id == Organization.id, User.is_active.is_(True))
            prefix = f"reminder:{kind.value}:{label}:{campaign.id}:"
            reminded = exists().where(OutboxEvent.dedupe_key == func.concat(prefix, cast(Organization.id, String)))
            org_ids = session.scalars(select(Organization.id).where(
                Organization.kind.in_(SUBMITTING_KINDS), ~filed, has_users, ~reminded))
            for org_id in org_ids:
                if publish(session, EventKind.deadline_reminder, subject_kind="campaign", subject_id=campaign.id,
                           org_id=org_id, campaign_id=campaign.id,
                           data={"title": f"{campaign.name} · {messages.REPORT_KINDS[kind][0]}",
                                 "report_kind": kind.value, "deadline": deadline.isoformat(),
                                 "days_left": days_left},
                           dedupe_key=f"{prefix}{org_id}") is not None:
                    written += 1
    session.flush()
    return written


def _outlets_of(session: Session, collection: Collection) -> list[uuid.UUID]:
    revoked = exists().where(Revocation.org_id == Organization.id, Revocation.restored_at.is_(None),
                             or_(Revocation.collection_id.is_(None), Revocation.collection_id == collection.id))
    has_users = exists().where(User.org_id == Organization.id, User.is_active.is_(True))
    query = select(Organization.id).where(Organization.kind == OrgKind.outlet, ~revoked, has_users)
    if collection.audience != Audience.all_outlets:
        query = query.where(exists().where(CollectionOutlet.collection_id == collection.id,
                                           CollectionOutlet.org_id == Organization.id))
    return list(session.scalars(query))


def announce_release(session: Session, collection: Collection, *, now: datetime | None = None) -> int:
    """Tell the collection's outlets once it is visible to them: ``release_published``, or ``embargo_lifted`` when an
    embargo held it back after its release time. Once per collection and outlet (dedupe key)."""
    at = now or datetime.now(UTC)
    if collection.release_at is None or collection.withdrawn_at is not None or collection.release_at > at:
        return 0
    if collection.embargo_until is not None and collection.embargo_until > at:
        return 0
    if session.scalar(select(CollectionItem.id).where(CollectionItem.collection_id == collection.id).limit(1)) is None:
        return 0  # nothing in it yet: announced once its first item is there (next periodic check)
    lifted = collection.embargo_until is not None and collection.embargo_until > collection.release_at
    kind = EventKind.embargo_lifted if lifted else EventKind.release_published
    written = 0
    for org_id in _outlets_of(session, collection):
        data = {"title": collection.title, "path": f"/portal/collections/{collection.id}"}
        if lifted and collection.embargo_until is not None:
            data["available_from"] = collection.embargo_until.isoformat()
        if publish(session, kind, subject_kind="collection", subject_id=collection.id, org_id=org_id,
                   campaign_id=collection.campaign_id, data=data,
                   dedupe_key=f"{kind.value}:{collection.id}:{org_id}") is not None:
            written += 1
    return written


def announce_releases(session: Session, *, now: datetime | None = None, window: timedelta = timedelta(days=2)) -> int:
    """The periodic check: collections that became visible within ``window`` (older ones were announced then)."""
    at = now or datetime.now(UTC)
    since = at - window
    visible_since = and_(Collection.release_at.is_not(None), Collection.release_at <= at,
                         Collection.withdrawn_at.is_(None),
                         or_(Collection.embargo_until.is_(None), Collection.embargo_until <= at),
                         or_(Collection.release_at >= since, Collection.embargo_until >= since))
    written = sum(announce_release(session, c, now=at) for c in session.scalars(select(Collection)
                                                                                  .where(visible_since)))
    session.flush()
    return written


def digest_cutoff(day: date) -> datetime:
    return datetime.combine(day, clock(get_settings().notify_digest_hour), BEIJING)


def send_digests(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """At the digest hour (Beijing), fold each user's held e-mails up to then into one digest delivery per day;
    returns the digests to send. The unique key ``digest:{user}:{day}`` makes a second run a no-op."""
    at = now or datetime.now(UTC)
    day = beijing_today(at)
    cutoff = digest_cutoff(day)
    if at < cutoff:
        return []
    held = session.scalars(select(NotificationDelivery).where(
        NotificationDelivery.status == DeliveryStatus.held, NotificationDelivery.channel == Channel.email,
        NotificationDelivery.created_at < cutoff).order_by(NotificationDelivery.user_id,
                                                           NotificationDelivery.created_at)
        .with_for_update(skip_locked=True)).all()
    by_user: dict[uuid.UUID, list[NotificationDelivery]] = {}
    for row in held:
        if row.user_id is not None:
            by_user.setdefault(row.user_id, []).append(row)
    base_url = get_settings().public_url
    to_send: list[uuid.UUID] = []
    for user_id, rows in by_user.items():
        lang = str(rows[-1].message.get("lang", "zh"))
        entries = [(datetime.fromisoformat(r.message["at"]) if r.message.get("at") else r.created_at,
                    messages.Message(str(r.message.get("title", "")), tuple(r.message.get("lines", [])),
                                     str(r.message.get("link", "/notifications")))) for r in rows]
        content = {**messages.digest_email(entries, base_url, lang, day), "lang": lang, "count": len(rows)}
        digest_id = dispatch.insert_delivery(
            session, key=f"digest:{user_id}:{day.isoformat()}", event_id=None, channel=Channel.email,
            user_id=user_id, org_id=rows[-1].org_id, kind="digest", address=rows[-1].address, message=content,
            status=DeliveryStatus.queued, next_attempt_at=at)
        if digest_id is None:
            continue  # today's digest went out already: these wait for tomorrow's
        session.execute(update(NotificationDelivery).where(NotificationDelivery.id.in_([r.id for r in rows]))
                        .values(status=DeliveryStatus.digested, digest_id=digest_id))
        to_send.append(digest_id)
    session.flush()
    return to_send


def prune(session: Session, *, now: datetime | None = None) -> int:
    """Delete in-app notifications and finished deliveries older than ``MEDIADESK_NOTIFY_RETENTION_DAYS`` (held and
    queued ones stay until sent); returns how many rows went."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=get_settings().notify_retention_days)
    gone = session.execute(delete(Notification).where(Notification.created_at < cutoff))
    done = (DeliveryStatus.sent, DeliveryStatus.failed, DeliveryStatus.digested)
    session.execute(update(NotificationDelivery).where(NotificationDelivery.digest_id.in_(
        select(NotificationDelivery.id).where(NotificationDelivery.created_at < cutoff)))
        .values(digest_id=None))
    dropped = session.execute(delete(NotificationDelivery).where(NotificationDelivery.created_at < cutoff,
                                                                 NotificationDelivery.status.in_(done)))
    return int(getattr(gone, "rowcount", 0) or 0) + int(getattr(dropped, "rowcount", 0) or 0)
