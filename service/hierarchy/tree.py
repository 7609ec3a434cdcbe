"""The organisation tree: which kind may sit under which, and changing an organisation's parent without cycles.

Province → (city education bureau, kind ``department``) → school; committee → member institutions (schools,
departments). A ministry or an outlet is never a member of anything, and nothing is a member of a school or an outlet.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core import audit
from service.core.errors import Problem, not_found
from service.core.orgscope import member_org_ids
from service.core.security import Principal
from service.db.org import Organization, OrgKind

#: child kind -> the kinds its parent may have (an empty set: never a member of anything)
ALLOWED_PARENTS: Mapping[OrgKind, frozenset[OrgKind]] = MappingProxyType({
    OrgKind.province: frozenset({OrgKind.ministry}),
    OrgKind.committee: frozenset({OrgKind.ministry}),
    OrgKind.department: frozenset({OrgKind.province, OrgKind.committee, OrgKind.department, OrgKind.ministry}),
    OrgKind.school: frozenset({OrgKind.province, OrgKind.committee, OrgKind.department}),
    OrgKind.outlet: frozenset(),
    OrgKind.ministry: frozenset(),
})
#: ``member_org_ids`` walks at most this many levels; a deeper tree would hide its lowest members.
MAX_DEPTH = 8

KIND_ZH = {OrgKind.province: "省级教育行政部门", OrgKind.committee: "行指委/教指委", OrgKind.school: "学校",
           OrgKind.department: "部门", OrgKind.outlet: "媒体", OrgKind.ministry: "部机关"}


def check_parent_kind(child: OrgKind, parent: OrgKind) -> None:
    """422 ``org_parent_kind`` when an organisation of kind ``child`` cannot be a member of a ``parent``."""
    if parent not in ALLOWED_PARENTS[child]:
        allowed = "、".join(KIND_ZH[k] for k in sorted(ALLOWED_PARENTS[child])) or "无"
        raise Problem(422, "org_parent_kind",
                      f"{KIND_ZH[child]}不能隶属于{KIND_ZH[parent]}（可隶属于：{allowed}）",
                      f"a {child.value} cannot be a member of a {parent.value} "
                      f"(allowed parents: {', '.join(sorted(ALLOWED_PARENTS[child])) or 'none'})")


def depth_above(session: Session, org_id: uuid.UUID) -> int:
    """How many ancestors ``org_id`` has (0 for a root)."""
    depth, current = 0, session.get(Organization, org_id)
    while current is not None and current.parent_id is not None and depth <= MAX_DEPTH:
        depth, current = depth + 1, session.get(Organization, current.parent_id)
    return depth


def height_below(session: Session, org_id: uuid.UUID) -> int:
    """Levels below ``org_id`` (0 for a leaf)."""
    level, frontier = 0, {org_id}
    while level <= MAX_DEPTH:
        frontier = set(session.scalars(select(Organization.id).where(Organization.parent_id.in_(frontier))))
        if not frontier:
            return level
        level += 1
    return level


def set_parent(session: Session, *, org_id: uuid.UUID, parent_id: uuid.UUID | None, actor: Principal | None,
               ip: str | None = None) -> Organization:
    """Make ``parent_id`` (None: no parent) the parent of ``org_id``; refuses cycles, nonsensical kinds and trees
    deeper than ``MAX_DEPTH``. Recorded in the audit log (``org.set_parent``). Flushes only."""
    org = session.scalar(select(Organization).where(Organization.id == org_id).with_for_update(of=Organization))
    if org is None:
        raise not_found("organisation")
    before = org.parent_id
    if parent_id is not None:
        parent = session.get(Organization, parent_id)
        if parent is None:
            raise not_found("parent organisation")
        if parent.id == org.id:
            raise Problem(422, "org_parent_self", "单位不能隶属于自身", "an organisation cannot be its own parent")
        if parent.id in member_org_ids(session, org.id):
            raise Problem(422, "org_parent_cycle", f"「{parent.name}」是「{org.name}」的下属单位，不能反过来作为其上级",
                          f"{parent.name!r} is below {org.name!r}; making it the parent would create a cycle")
        check_parent_kind(org.kind, parent.kind)
        if depth_above(session, parent.id) + 1 + height_below(session, org.id) > MAX_DEPTH:
            raise Problem(422, "org_tree_too_deep", f"隶属层级超过 {MAX_DEPTH} 级",
                          f"the tree would be deeper than {MAX_DEPTH} levels")
    if before == parent_id:
        return org
    org.parent_id = parent_id
    session.flush()
    audit.record(session, actor=actor, action="org.set_parent", target_kind="organization", target_id=org.id,
                 org_id=org.id, detail={"from": str(before) if before else None,
                                        "to": str(parent_id) if parent_id else None}, ip=ip)
    return org


def members(session: Session, org_id: uuid.UUID) -> list[Organization]:
    """Every organisation below ``org_id`` (any depth), by name; not ``org_id`` itself."""
    ids = member_org_ids(session, org_id) - {org_id}
    if not ids:
        return []
    return list(session.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)))
