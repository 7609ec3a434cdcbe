"""The shared contracts: the audit log is append-only and speaks one vocabulary; the outbox publishes a keyed event
once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from service.core.audit import UnknownAction, action_name, record
from service.core.db import session_scope
from service.core.embedded import EmbeddedServers
from service.core.events import EventKind, publish
from service.core.security import Principal
from service.db.audit import AuditLog
from service.db.events import OutboxEvent
from service.db.org import Role
from tests.support import make_actor


def test_audit_rows_cannot_be_changed_or_deleted(servers: EmbeddedServers) -> None:
    actor = make_actor(Role.editor)
    principal = Principal(user_id=actor.user_id, username=actor.username, role=Role.editor, org_id=actor.org_id)
    target = uuid.uuid4()
    with session_scope() as session:
        row_id = record(session, actor=principal, action="report.accept", target_kind="report", target_id=target,
                        detail={"status": "accepted"}).id
    for statement in ("UPDATE audit_log SET action = 'report.edit' WHERE id = :id",
                      "DELETE FROM audit_log WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
            session.execute(text(statement), {"id": row_id})
    with session_scope() as session:
        row = session.get(AuditLog, row_id)
        assert row is not None
        assert row.action == "report.accept"
        assert row.actor_name == actor.username
    assert action_name("report.accept") == "采用报送材料"
    assert action_name("report.accept", "en") == "Report accepted"


def test_unknown_audit_action_is_refused(servers: EmbeddedServers) -> None:
    with pytest.raises(UnknownAction), session_scope() as session:
        record(session, actor=None, action="report.teleport", target_kind="report", target_id=None)


def test_a_keyed_event_is_published_once(servers: EmbeddedServers) -> None:
    key = f"reminder:plan:3d:{uuid.uuid4()}"
    with session_scope() as session:
        first = publish(session, EventKind.deadline_reminder, subject_kind="campaign", subject_id=None, dedupe_key=key)
        second = publish(session, EventKind.deadline_reminder, subject_kind="campaign", subject_id=None,
                         dedupe_key=key)
    assert first is not None
    assert second is None
    with session_scope() as session:
        assert session.scalar(select(func.count()).where(OutboxEvent.dedupe_key == key)) == 1
