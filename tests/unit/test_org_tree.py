"""Which kind of organisation may be a member of which: the tree's kind rules, with a specific code and both
languages when refused."""

from __future__ import annotations

import pytest

from service.core.errors import Problem
from service.db.org import OrgKind
from service.hierarchy.tree import ALLOWED_PARENTS, check_parent_kind

SENSIBLE = [(OrgKind.school, OrgKind.province), (OrgKind.school, OrgKind.committee),
            (OrgKind.school, OrgKind.department), (OrgKind.department, OrgKind.province),
            (OrgKind.province, OrgKind.ministry), (OrgKind.committee, OrgKind.ministry)]
NONSENSE = [(OrgKind.outlet, OrgKind.school), (OrgKind.province, OrgKind.school), (OrgKind.school, OrgKind.school),
            (OrgKind.ministry, OrgKind.province), (OrgKind.outlet, OrgKind.ministry),
            (OrgKind.committee, OrgKind.province), (OrgKind.school, OrgKind.outlet)]


@pytest.mark.parametrize(("child", "parent"), SENSIBLE)
def test_sensible_parents_pass(child: OrgKind, parent: OrgKind) -> None:
    check_parent_kind(child, parent)


@pytest.mark.parametrize(("child", "parent"), NONSENSE)
def test_nonsensical_parents_are_refused_with_a_code(child: OrgKind, parent: OrgKind) -> None:
    with pytest.raises(Problem) as refused:
        check_parent_kind(child, parent)
    assert refused.value.code == "org_parent_kind"
    assert refused.value.status == 422
    zh, en = refused.value.detail.split(" / ")
    assert "不能隶属于" in zh
    assert f"a {child.value} cannot be a member of a {parent.value}" in en


def test_every_kind_has_a_rule_and_nothing_sits_under_a_school_or_an_outlet() -> None:
    assert set(ALLOWED_PARENTS) == set(OrgKind)
    assert not any({OrgKind.school, OrgKind.outlet} & parents for parents in ALLOWED_PARENTS.values())
