"""Organisation scope: the one owner of "whose material may this person see".

Organisations form a tree (province → city → school; committee → member institutions) through ``parent_id``. Staff
(editors, admins) see every organisation; anyone else sees their own organisation and every organisation below it,
so a province's users see (and pre-review) their schools' submissions and reports. Outlets see only their own.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from service.core.security import Principal
from service.db.org import Organization, Role


def member_org_ids(session: Session, org_id: uuid.UUID) -> set[uuid.UUID]:
    """``org_id`` and every organisation below it (any depth). Cycles in ``parent_id`` stop at depth 16."""
    tree = select(Organization.id, literal(0).label("depth")).where(Organization.id == org_id).cte(recursive=True)
    below = select(Organization.id, (tree.c.depth + 1).label("depth")).join(
        tree, Organization.parent_id == tree.c.id).where(tree.c.depth < 16)
    tree = tree.union_all(below)
    return set(session.scalars(select(tree.c.id).distinct()).all())


def visible_org_ids(session: Session, principal: Principal) -> set[uuid.UUID] | None:
    """The organisations whose material ``principal`` may see; ``None`` means all (staff)."""
    if principal.is_staff:
        return None
    if principal.role == Role.outlet:
        return {principal.org_id}
    return member_org_ids(session, principal.org_id)


def can_see_org(session: Session, principal: Principal, org_id: uuid.UUID) -> bool:
    if principal.is_staff or org_id == principal.org_id:
        return True
    visible = visible_org_ids(session, principal)
    return visible is None or org_id in visible


def scope_condition(session: Session, principal: Principal,
                    column: ColumnElement[uuid.UUID] | QueryableAttribute[uuid.UUID]) -> ColumnElement[bool] | None:
    """A WHERE condition on an ``org_id`` column for what ``principal`` may see; None when it may see everything."""
    visible = visible_org_ids(session, principal)
    if visible is None:
        return None
    return column.in_(visible) if visible else false()


def can_edit_org(principal: Principal, org_id: uuid.UUID) -> bool:
    """May change ``org_id``'s own material (its submissions, files, uploads): staff, or a submitter of that very
    organisation. A province sees its schools' material but never edits it; the school's submitters own their edits."""
    return principal.is_staff or (principal.role == Role.submitter and principal.org_id == org_id)


def is_parent_reviewer(session: Session, principal: Principal, org_id: uuid.UUID) -> bool:
    """A submitter of an organisation strictly above ``org_id``: may pre-review (forward or return) its material."""
    if principal.role != Role.submitter or org_id == principal.org_id:
        return False
    return org_id in member_org_ids(session, principal.org_id)
