"""The one audit log's vocabulary and its only writer.

``ACTIONS`` is the one owner of audit action codes and their zh-CN / English names (pages show names, never codes);
``record`` is the only function that writes an ``audit_log`` row, and refuses a code the vocabulary does not define.
Call it in the same transaction as the change it records, so a change and its record commit or roll back together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from service.core.security import Principal
from service.db.audit import AuditLog

SYSTEM_ACTOR = "system"

# code -> (zh-CN, English). Group by domain; add a domain's codes in its own block.
ACTIONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # reports (plans, cases, manuscripts, summaries) and their documents
        "report.create": ("创建报送材料", "Report created"),
        "report.edit": ("修改报送材料", "Report edited"),
        "report.file": ("提交报送材料", "Report filed"),
        "report.forward": ("审核转报", "Report forwarded"),
        "report.return": ("退回报送材料", "Report returned"),
        "report.accept": ("采用报送材料", "Report accepted"),
        "report.feature": ("精选报送材料", "Report featured"),
        "report.delete": ("删除报送草稿", "Report draft deleted"),
        "document.upload": ("上传文档", "Document uploaded"),
        "document.delete": ("删除文档", "Document deleted"),
        # consent of the people shown, retention, and delivery choices on releases (docs/PRIVACY.md)
        "consent.edit": ("修改肖像授权信息", "Consent details edited"),
        "consent.document_upload": ("上传肖像授权书", "Consent document uploaded"),
        "consent.document_view": ("查看肖像授权书", "Consent document viewed"),
        "consent.override": ("确认无授权仍精选或发布", "Featured or released without consent (confirmed)"),
        "retention.policy_edit": ("修改保存期限策略", "Retention policy edited"),
        "retention.run": ("执行保存期限清理", "Retention purge run"),
        "collection.keep_location": ("设置发布保留拍摄位置", "Release keeps location set"),
        "collection.deliver_untouched": ("设置发布提供未处理原图", "Release delivers untouched originals set"),
    }
)


class UnknownAction(ValueError):
    """An audit action code that ``ACTIONS`` does not define."""


def action_name(code: str, lang: str = "zh") -> str:
    names = ACTIONS.get(code)
    if names is None:
        return code
    return names[0] if lang.startswith("zh") else names[1]


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    target_kind: str,
    target_id: uuid.UUID | None,
    org_id: uuid.UUID | None = None,
    detail: Mapping[str, Any] | None = None,
    ip: str | None = None,
) -> AuditLog:
    """Append one audit row (``actor=None``: the system, e.g. a scheduled purge). ``detail`` holds ids, states and
    reasons, never content that may later be purged."""
    if action not in ACTIONS:
        raise UnknownAction(action)
    row = AuditLog(
        actor_id=actor.user_id if actor else None,
        actor_name=actor.username if actor else SYSTEM_ACTOR,
        actor_org_id=actor.org_id if actor else None,
        ip=ip,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        org_id=org_id,
        detail=dict(detail or {}),
    )
    session.add(row)
    session.flush()
    return row
