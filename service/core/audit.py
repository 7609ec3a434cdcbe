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
        # campaigns and their taxonomy
        "campaign.create": ("创建活动周", "Campaign created"),
        "campaign.edit": ("修改活动周", "Campaign edited"),
        "taxonomy.edit": ("修改标签体系", "Taxonomy edited"),
        "week_report.request": ("生成活动周工作报告", "Week report requested"),
        # notifications: where an organisation's messages go (its team-chat robot)
        "notify.webhook_set": ("设置群机器人", "Team-chat robot set"),
        "notify.webhook_delete": ("删除群机器人", "Team-chat robot removed"),
        # submissions (the metadata of a batch of files; edits name the fields, not their text)
        "submission.create": ("新建报送", "Submission created"),
        "submission.edit": ("修改报送信息", "Submission edited"),
        # review: decisions and edits on a file (the asset page's history still reads review_event, which holds the
        # before/after text and goes with the asset when it is purged; this log keeps which fields changed)
        "review.approve": ("采用", "Approved"),
        "review.reject": ("不采用", "Rejected"),
        "review.feature": ("精选", "Featured"),
        "review.return": ("退回补充", "Returned"),
        "review.bulk_approve": ("批量采用", "Approved in bulk"),
        "review.bulk_reject": ("批量不采用", "Rejected in bulk"),
        "review.bulk_feature": ("批量精选", "Featured in bulk"),
        "review.bulk_return": ("批量退回", "Returned in bulk"),
        "review.edit": ("修改说明或标签", "Caption or tags edited"),
        "review.cluster_keep": ("重复组中保留", "Kept in a duplicate cluster"),
        "review.cluster_duplicate": ("标记为重复", "Marked as a duplicate"),
        "review.cluster_reject": ("重复组中标记为重复", "Marked as a duplicate in its cluster"),
        "review.undo": ("撤销决定", "Decision undone"),
        "review.caption": ("报送单位修改文件说明", "Caption written by the submitter"),
        "review.resubmit": ("报送单位修改后重新提交", "Fixed and resubmitted by the submitter"),
        "review.replaced": ("报送单位上传了替换文件", "Replaced by a new upload"),
        "review.replacement": ("替换被退回的文件", "Replaces a returned file"),
        # collections, releases, embargoes and outlets' access
        "collection.create": ("创建专题", "Collection created"),
        "collection.edit": ("修改专题", "Collection edited"),
        "collection.release": ("设置发布时间", "Release time set"),
        "collection.embargo": ("设置禁发期", "Embargo set"),
        "collection.withdraw": ("撤回专题", "Collection withdrawn"),
        "collection.unwithdraw": ("恢复专题", "Collection reinstated"),
        "collection.items_add": ("专题加入素材", "Files added to a collection"),
        "collection.item_remove": ("专题移除素材", "File removed from a collection"),
        "revocation.create": ("撤销媒体访问权限", "Outlet access revoked"),
        "revocation.restore": ("恢复媒体访问权限", "Outlet access restored"),
        # takedown (the purge by the scheduler is recorded with the system as actor)
        "takedown.request": ("申请下架", "Takedown requested"),
        "takedown.take_down": ("下架素材", "File taken down"),
        "takedown.legal_hold": ("设置或解除法律保留", "Legal hold set or lifted"),
        "takedown.decline": ("驳回下架申请", "Takedown request declined"),
        "takedown.purge": ("彻底删除已下架素材", "Taken-down file purged"),
        # accounts and organisations (admin actions; a user's own password change too)
        "user.create": ("创建用户", "User created"),
        "user.edit": ("修改用户", "User edited"),
        "user.deactivate": ("停用用户", "User deactivated"),
        "user.reactivate": ("启用用户", "User reactivated"),
        "user.password_reset": ("重置密码", "Password reset"),
        "user.password_change": ("修改本人密码", "Own password changed"),
        "user.tokens_revoke": ("吊销令牌", "API tokens revoked"),
        "user.sessions_end": ("结束登录会话", "Web sessions ended"),
        "user.import": ("批量导入用户", "Users imported in bulk"),
        "user.oidc_bind": ("绑定统一身份认证账号", "Bound to an identity provider account"),
        "org.create": ("创建单位", "Organisation created"),
        "org.edit": ("修改单位", "Organisation edited"),
        "audit.export": ("导出审计日志", "Audit log exported"),
        # hierarchy: the organisation tree and a province's / committee's pre-review of its members' material
        "org.set_parent": ("调整上级单位", "Parent organisation changed"),
        "submission.forward": ("预审转报", "Submission forwarded"),
        "submission.return": ("预审退回", "Submission returned"),
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
