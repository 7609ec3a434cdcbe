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


def test_a_province_sees_its_schools_and_not_its_neighbours(servers: EmbeddedServers) -> None:
    from service.core.orgscope import can_see_org, is_parent_reviewer, member_org_ids, visible_org_ids
    from service.db.org import Organization, OrgKind
    from tests.support import make_org

    province, neighbour = make_org(OrgKind.province), make_org(OrgKind.province)
    city, other_school = make_org(OrgKind.department), make_org(OrgKind.school)
    school = make_org(OrgKind.school)
    with session_scope() as session:
        session.get_one(Organization, city).parent_id = province
        session.get_one(Organization, school).parent_id = city
        session.get_one(Organization, other_school).parent_id = neighbour
    officer = make_actor(Role.submitter, org_id=province)
    teacher = make_actor(Role.submitter, org_id=school)
    as_principal = lambda a: Principal(user_id=a.user_id, username=a.username, role=a.role, org_id=a.org_id)  # noqa: E731
    with session_scope() as session:
        assert member_org_ids(session, province) == {province, city, school}
        assert visible_org_ids(session, as_principal(officer)) == {province, city, school}
        assert can_see_org(session, as_principal(officer), school)
        assert not can_see_org(session, as_principal(officer), other_school)
        assert not can_see_org(session, as_principal(teacher), province)
        assert is_parent_reviewer(session, as_principal(officer), school)
        assert not is_parent_reviewer(session, as_principal(teacher), school)
        assert visible_org_ids(session, as_principal(make_actor(Role.editor))) is None
