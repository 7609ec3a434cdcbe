"""The dispatcher: undispatched outbox events → in-app notifications and queued deliveries; and the one sender.

Idempotency, three layers: an event is taken once (``FOR UPDATE SKIP LOCKED``, then ``dispatched_at``); a
notification is unique per (event, user) and a delivery per key ``{event}:{user}:email`` / ``{event}:org:{org}:
webhook`` (``ON CONFLICT DO NOTHING``); a send locks its delivery row and goes out only while it is ``queued``, so a
task run twice, retried, or re-sent by the sweeper never sends a message twice once one send was recorded.
"""

from __future__ import annotations

import enum
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.core.config import get_settings
from service.db.events import OutboxEvent
from service.db.notify import (
    Channel,
    DeliveryStatus,
    Digest,
    Notification,
    NotificationDelivery,
    NotificationProfile,
    OrgWebhook,
)
from service.db.org import User
from service.notify import mail, messages, preferences, webhooks

#: Events taken per dispatcher run (the periodic task loops until none are left).
BATCH = 200
#: A queued send this long past its due time is taken as lost (worker killed, broker restarted) and re-sent.
LOST_AFTER = timedelta(minutes=5)


def recipients(session: Session, event: OutboxEvent) -> list[User]:
    """``user_id`` → that user (if active); else ``org_id`` → the organisation's active users."""
    if event.user_id is not None:
        user = session.get(User, event.user_id)
        return [user] if user is not None and user.is_active else []
    if event.org_id is not None:
        return list(session.scalars(select(User).where(User.org_id == event.org_id, User.is_active.is_(True))
                                    .order_by(User.username)))
    return []


def insert_delivery(session: Session, **values: Any) -> uuid.UUID | None:
    statement = insert(NotificationDelivery).values(id=uuid.uuid4(), attempts=0, **values)
    return session.execute(statement.on_conflict_do_nothing(index_elements=["key"])
                           .returning(NotificationDelivery.id)).scalar_one_or_none()


def dispatch_event(session: Session, event: OutboxEvent, now: datetime) -> list[uuid.UUID]:
    """Notify every recipient of one event; returns the deliveries to send now."""
    return dispatch_group(session, [event], now)


def dispatch_group(session: Session, events: list[OutboxEvent], now: datetime) -> list[uuid.UUID]:
    """Notify the recipients of events of one kind about one subject (e.g. 40 files of one submission rejected in
    one bulk action): an in-app notification each, but one e-mail per person and one robot post listing them all,
    keyed by the first event. Returns the deliveries to send now."""
    first = events[0]
    base_url = get_settings().public_url
    users = recipients(session, first)
    chosen = preferences.choices(session, [u.id for u in users])
    profiles = {p.user_id: p for p in session.scalars(
        select(NotificationProfile).where(NotificationProfile.user_id.in_([u.id for u in users])))} if users else {}
    to_send: list[uuid.UUID] = []

    def message_for(lang: str) -> tuple[list[messages.Message], messages.Message]:
        parts = [messages.compose(e.kind, e.subject_kind, e.subject_id, e.data, lang) for e in events]
        return parts, parts[0] if len(parts) == 1 else messages.combine(first.kind, parts, lang)

    for user in users:
        profile = profiles.get(user.id)
        lang = preferences.language_of(profile)
        parts, message = message_for(lang)
        if chosen.get((user.id, first.kind, Channel.in_app), preferences.DEFAULT).enabled:
            for event, part in zip(events, parts, strict=True):
                session.execute(insert(Notification).values(
                    id=uuid.uuid4(), user_id=user.id, event_id=event.id, kind=event.kind, title=part.title,
                    body=part.text, link=part.link, created_at=event.created_at,
                ).on_conflict_do_nothing(constraint="uq_notification_event_user"))
        email_choice = chosen.get((user.id, first.kind, Channel.email), preferences.DEFAULT)
        address = preferences.address_of(user, profile)
        if email_choice.enabled and address:
            held = email_choice.digest == Digest.daily
            content = {"title": message.title, "lines": list(message.lines), "link": message.link, "lang": lang,
                       "at": first.created_at.isoformat(), **messages.email(message, base_url, lang)}
            delivery = insert_delivery(
                session, key=f"{first.id}:{user.id}:email", event_id=first.id, channel=Channel.email,
                user_id=user.id, org_id=user.org_id, kind=first.kind, address=address, message=content,
                status=DeliveryStatus.held if held else DeliveryStatus.queued, next_attempt_at=None if held else now)
            if delivery is not None and not held:
                to_send.append(delivery)
    if first.org_id is not None and first.user_id is None:
        robot = session.scalar(select(OrgWebhook).where(OrgWebhook.org_id == first.org_id,
                                                        OrgWebhook.enabled.is_(True)))
        if robot is not None and (not robot.kinds or first.kind in robot.kinds):
            _, message = message_for("zh")
            body = webhooks.payload(robot.kind, message.title, messages.markdown(message, base_url))
            delivery = insert_delivery(
                session, key=f"{first.id}:org:{first.org_id}:webhook", event_id=first.id, channel=Channel.webhook,
                org_id=first.org_id, kind=first.kind, address=webhooks.masked(robot.url), message=body,
                status=DeliveryStatus.queued, next_attempt_at=now)
            if delivery is not None:
                to_send.append(delivery)
    for event in events:
        event.dispatched_at = now
    return to_send


def dispatch_pending(session: Session, *, limit: int = BATCH,
                     now: datetime | None = None) -> tuple[int, list[uuid.UUID]]:
    """Take up to ``limit`` undispatched events (others' locked rows skipped) and dispatch them, grouped by kind,
    recipient and subject (flush only); returns how many events were taken and the deliveries to send once
    committed."""
    at = now or datetime.now(UTC)
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
                             .order_by(OutboxEvent.created_at).limit(limit).with_for_update(skip_locked=True)).all()
    groups: dict[tuple[object, ...], list[OutboxEvent]] = {}
    for event in events:
        key = (event.kind, event.org_id, event.user_id, event.subject_kind, event.subject_id or event.id)
        groups.setdefault(key, []).append(event)
    to_send: list[uuid.UUID] = []
    for group in groups.values():
        to_send += dispatch_group(session, group, at)
    session.flush()
    return len(events), to_send


def lost_deliveries(session: Session, now: datetime | None = None) -> list[uuid.UUID]:
    """Queued sends long past due: their message was lost; the caller sends them again."""
    at = now or datetime.now(UTC)
    return list(session.scalars(select(NotificationDelivery.id).where(
        NotificationDelivery.status == DeliveryStatus.queued,
        NotificationDelivery.next_attempt_at < at - LOST_AFTER).limit(500)))


class Outcome(enum.StrEnum):
    sent = "sent"
    skipped = "skipped"  # already sent, failed for good, held for a digest, or being sent by another worker
    retry = "retry"
    failed = "failed"


def backoff_seconds(attempts: int) -> float:
    """Delay before the next attempt: the base doubled per attempt already made, ±20 % jitter, at most an hour."""
    base = float(get_settings().notify_retry_base_seconds)
    delay: float = min(3600.0, base * 2.0 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.2)


def send(session: Session, delivery_id: uuid.UUID, now: datetime | None = None) -> tuple[Outcome, float]:
    """Send one delivery while holding its row lock; records the outcome (the caller commits). Returns the outcome
    and, for ``retry``, the delay in seconds."""
    delivery = session.scalar(select(NotificationDelivery).where(NotificationDelivery.id == delivery_id)
                              .with_for_update(skip_locked=True))
    if delivery is None or delivery.status != DeliveryStatus.queued:
        return Outcome.skipped, 0.0
    settings = get_settings()
    delivery.attempts += 1
    at = now or datetime.now(UTC)
    try:
        if delivery.channel == Channel.email:
            content = delivery.message
            mail.send(settings, mail.build(to=delivery.address, subject=content["subject"], text=content["text"],
                                           html=content["html"], sender=settings.smtp_from, key=delivery.key))
        else:
            robot = session.scalar(select(OrgWebhook).where(OrgWebhook.org_id == delivery.org_id))
            if robot is None or not robot.enabled:
                delivery.status, delivery.last_error = DeliveryStatus.failed, "the organisation removed its robot"
                return Outcome.failed, 0.0
            webhooks.post(robot.kind, robot.url, robot.secret, delivery.message)
    except (mail.MailError, webhooks.WebhookError) as exc:
        delivery.last_error = str(exc)[:2000]
        if delivery.attempts >= settings.notify_max_attempts:
            delivery.status = DeliveryStatus.failed
            return Outcome.failed, 0.0
        delay = backoff_seconds(delivery.attempts)
        delivery.next_attempt_at = at + timedelta(seconds=delay)
        return Outcome.retry, delay
    except Exception as exc:  # e.g. the robot URL no longer passes the SSRF guard: recorded, not retried
        delivery.status, delivery.last_error = DeliveryStatus.failed, f"{type(exc).__name__}: {exc}"[:2000]
        return Outcome.failed, 0.0
    delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.sent, at, None
    return Outcome.sent, 0.0

