"""The names people read for report kinds and statuses (pages register them with ``service.web.i18n``)."""

from __future__ import annotations

from collections.abc import Mapping

from service.db.reporting import ReportKind, ReportStatus

KIND_NAMES: Mapping[ReportKind, tuple[str, str]] = {
    ReportKind.plan: ("活动方案", "Activity plan"),
    ReportKind.case: ("典型案例", "Typical case"),
    ReportKind.manuscript: ("稿件", "Manuscript"),
    ReportKind.summary: ("活动总结", "Summary"),
}

STATUS_NAMES: Mapping[ReportStatus, tuple[str, str]] = {
    ReportStatus.draft: ("草稿", "Draft"),
    ReportStatus.filed: ("已提交", "Filed"),
    ReportStatus.forwarded: ("已审核转报", "Forwarded"),
    ReportStatus.returned: ("已退回", "Returned"),
    ReportStatus.accepted: ("已采用", "Accepted"),
}

#: Statuses a submitter may still change (write, link, unlink, file).
EDITABLE: frozenset[ReportStatus] = frozenset({ReportStatus.draft, ReportStatus.returned})
#: Kinds the desk may feature (精选) once accepted.
FEATURABLE: frozenset[ReportKind] = frozenset({ReportKind.case, ReportKind.manuscript})
