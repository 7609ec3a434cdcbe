"""Domain events for people: the one owner of event kinds and the only writer of the outbox.

Code that changes something a person must hear about publishes an event in the same transaction (``publish``); the
notification worker (``workers/notify``) turns undispatched events into in-app notifications, e-mails and team-chat
webhooks according to each recipient's preferences. Kinds carry zh-CN / English names for pages and preferences.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.core.queues import Queue
from service.core.tasks import enqueue
from service.db.events import OutboxEvent

#: The notification dispatcher's task (workers/notify.py), sent by name after the commit.
DISPATCH_TASK = "notify.dispatch"


class EventKind(enum.StrEnum):
    report_returned = "report_returned"  # a report sent back with a reason (to its organisation)
    report_forwarded = "report_forwarded"  # a province forwarded a member's report (to the member)
    report_accepted = "report_accepted"
    submission_returned = "submission_returned"  # a province returned a member's submission in pre-review
    asset_rejected = "asset_rejected"  # an editor rejected a file (to its organisation)
    document_rejected = "document_rejected"  # a report's document refused by its inspection (to its uploader)
    deadline_reminder = "deadline_reminder"  # plan / summary due in 3 days or 1 day, not yet filed
    release_published = "release_published"  # a collection released to an outlet (to the outlet)
    embargo_lifted = "embargo_lifted"  # an embargoed release became downloadable (to the outlet)


EVENT_NAMES: Mapping[EventKind, tuple[str, str]] = {
    EventKind.report_returned: ("报送材料被退回", "Report returned"),
    EventKind.report_forwarded: ("报送材料已转报", "Report forwarded"),
    EventKind.report_accepted: ("报送材料已采用", "Report accepted"),
    EventKind.submission_returned: ("报送被退回", "Submission returned"),
    EventKind.asset_rejected: ("文件未通过审核", "File rejected"),
    EventKind.document_rejected: ("文档被拒收", "Document refused"),
    EventKind.deadline_reminder: ("截止日期提醒", "Deadline reminder"),
    EventKind.release_published: ("新发布素材", "New release"),
    EventKind.embargo_lifted: ("禁发期已解除", "Embargo lifted"),
}


def publish(
    session: Session,
    kind: EventKind,
    *,
    subject_kind: str,
    subject_id: uuid.UUID | None,
    org_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    campaign_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> uuid.UUID | None:
    """Write one event to the outbox. With ``dedupe_key`` a second publish of the same key is a no-op (returns None):
    scheduled reminders can run twice without reaching anyone twice."""
    event_id = uuid.uuid4()
    statement = insert(OutboxEvent).values(
        id=event_id,
        kind=str(kind),
        subject_kind=subject_kind,
        subject_id=subject_id,
        org_id=org_id,
        user_id=user_id,
        campaign_id=campaign_id,
        data=dict(data or {}),
        dedupe_key=dedupe_key,
    )
    if dedupe_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    inserted = session.execute(statement.returning(OutboxEvent.id)).scalar_one_or_none()
    pending = session.info.get("pending_tasks", [])
    if inserted is not None and not any(task.name == DISPATCH_TASK for task in pending):
        # Wake the dispatcher once the event is committed (its periodic run is the fallback if this message is lost).
        enqueue(session, DISPATCH_TASK, queue=Queue.notify.value)
    return inserted
