"""Every review action that writes a review_event has an audit code, so no decision can fail on the log."""

from __future__ import annotations

from service.core.audit import ACTIONS
from service.review.service import Action


def test_every_review_action_has_a_named_audit_code() -> None:
    extra = {"edit", "undo", "caption", "resubmit", "replaced", "replacement", "cluster_reject"}
    codes = {a.value for a in Action} | {f"bulk_{a.value}" for a in Action} | extra
    for code in codes:
        zh, en = ACTIONS[f"review.{code}"]
        assert zh
        assert en
