"""Report rules: who may create, see, change, file and decide which report. Services flush, never commit.

A draft is seen by its own organisation only; once filed, the organisations above it (``service.core.orgscope``) and
the ministry's desk see it too. Only the owning organisation's submitters write, link media and file; only staff
accept, return and feature. Status moves only along ``service.db.reporting.TRANSITIONS``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.core import audit, orgscope
from service.core.errors import Problem, forbidden, not_found
from service.core.events import EventKind, publish
from service.core.security import Principal
from service.db.asset import Asset, AssetKind, AssetStatus
from service.db.campaign import Campaign
from service.db.org import Organization, Role
from service.db.reporting import (
    ONE_PER_ORG,
    TRANSITIONS,
    DocumentStatus,
    Report,
    ReportAsset,
    ReportDocument,
    ReportKind,
    ReportStatus,
)
from service.documents.service import object_keys, refresh_search_text
from service.reporting.schemas import MAX_LINKED_ASSETS, ReportCreate, ReportUpdate
from service.reporting.vocabulary import EDITABLE, FEATURABLE, KIND_NAMES, STATUS_NAMES

PLAN_FIELDS = ("website_url", "liaison_name", "liaison_phone", "liaison_email")


# --- search -------------------------------------------------------------------------------------------------------


# --- access -------------------------------------------------------------------------------------------------------


def can_see(session: Session, principal: Principal, report: Report) -> bool:
    if principal.role == Role.outlet:
        return False
    if report.status == ReportStatus.draft:
        return report.org_id == principal.org_id and principal.role in (Role.submitter, Role.admin)
    return orgscope.can_see_org(session, principal, report.org_id)


def get_report(session: Session, *, principal: Principal, report_id: uuid.UUID) -> Report:
    """A report the caller may see; anything else is reported as not found."""
    report = session.get(Report, report_id)
    if report is None or not can_see(session, principal, report):
        raise not_found("report")
    return report


def is_writer(principal: Principal, report: Report) -> bool:
    """The owning organisation's submitters (and an admin of that organisation) write and file its reports."""
    return principal.role in (Role.submitter, Role.admin) and principal.org_id == report.org_id


def _writable(session: Session, principal: Principal, report_id: uuid.UUID) -> Report:
    report = get_report(session, principal=principal, report_id=report_id)
    if not is_writer(principal, report):
        raise forbidden("只有报送单位本单位的用户可以修改", "only the reporting organisation's users may change it")
    if report.status not in EDITABLE:
        raise Problem(409, "report_locked",
                      f"「{STATUS_NAMES[report.status][0]}」状态的材料不能修改，只有草稿或被退回的材料可以修改",
                      f"a {report.status.value} report cannot be changed; only drafts and returned reports can")
    return report


def _staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise forbidden("只有编辑部可以审核报送材料", "only the media desk decides on reports")


def _move(report: Report, target: ReportStatus) -> ReportStatus:
    before = report.status
    if target not in TRANSITIONS[before]:
        raise Problem(409, "bad_transition",
                      f"「{STATUS_NAMES[before][0]}」的材料不能改为「{STATUS_NAMES[target][0]}」",
                      f"a {before.value} report cannot become {target.value}",
                      extra={"current_status": before.value})
    report.status = target
    return before


def _audit(session: Session, principal: Principal, action: str, report: Report, ip: str | None,
           **detail: Any) -> None:
    audit.record(session, actor=principal, action=action, target_kind="report", target_id=report.id,
                 org_id=report.org_id, detail={"kind": report.kind.value, **detail}, ip=ip)


# --- create, read, list -------------------------------------------------------------------------------------------


def current_campaign(session: Session, chosen: str | None = None) -> Campaign | None:
    """The campaign chosen in the header's switcher (its cookie value), else the one open for uploads, else the
    latest week: one rule, ``service.campaigns.service.chosen_campaign``."""
    from service.campaigns.service import chosen_campaign

    return chosen_campaign(session, chosen)


def existing_one_per_org(session: Session, campaign_id: uuid.UUID, org_id: uuid.UUID,
                         kind: ReportKind) -> Report | None:
    return session.scalars(select(Report).where(Report.campaign_id == campaign_id, Report.org_id == org_id,
                                                Report.kind == kind)).first()


def _exists(kind: ReportKind, report_id: uuid.UUID) -> Problem:
    zh, en = KIND_NAMES[kind]
    return Problem(409, "report_exists", f"本单位在本届活动周已有{zh}，请修改已有的{zh}",
                   f"your organisation already has a {en.lower()} for this campaign; edit that one",
                   extra={"report_id": str(report_id)})


def _plan_only(kind: ReportKind, data: ReportCreate | ReportUpdate) -> None:
    given = [name for name in PLAN_FIELDS if getattr(data, name, None)]
    if kind != ReportKind.plan and given:
        raise Problem(422, "plan_fields_only", "网址和联络员只属于活动方案",
                      "the website address and liaison belong to a plan only", extra={"fields": given})


def create_report(session: Session, *, principal: Principal, data: ReportCreate, ip: str | None = None) -> Report:
    """A draft of the caller's organisation. One plan and one summary per organisation and campaign (409)."""
    if principal.role not in (Role.submitter, Role.admin):
        raise forbidden("只有报送单位可以新建报送材料", "only reporting organisations write reports")
    if data.campaign_id:
        campaign = session.get(Campaign, data.campaign_id)
        if campaign is None:
            raise not_found("campaign")
    else:
        campaign = current_campaign(session)
        if campaign is None:
            raise Problem(409, "no_campaign", "还没有活动周", "no campaign exists yet")
    _plan_only(data.kind, data)
    if data.kind in ONE_PER_ORG and (found := existing_one_per_org(session, campaign.id, principal.org_id, data.kind)):
        raise _exists(data.kind, found.id)
    fields = data.model_dump(exclude={"kind", "campaign_id"}, exclude_none=True)
    report = Report(campaign_id=campaign.id, org_id=principal.org_id, kind=data.kind, status=ReportStatus.draft,
                    created_by=principal.user_id, **fields)
    try:
        with session.begin_nested():  # two tabs creating the same plan at once: the unique index decides
            session.add(report)
            session.flush()
    except IntegrityError:
        found = existing_one_per_org(session, campaign.id, principal.org_id, data.kind)
        raise _exists(data.kind, found.id if found else uuid.uuid4()) from None
    refresh_search_text(session, report)
    _audit(session, principal, "report.create", report, ip, status=report.status.value)
    return report


def list_reports(
    session: Session,
    *,
    principal: Principal,
    campaign_id: uuid.UUID | None = None,
    kinds: list[ReportKind] | None = None,
    statuses: list[ReportStatus] | None = None,
    org_id: uuid.UUID | None = None,
    region: str | None = None,
    q: str | None = None,
    featured: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Report], int]:
    """Reports the caller may see, newest change first; ``q`` searches title, body and documents (trigram index)."""
    if principal.role == Role.outlet:
        raise forbidden()
    query = select(Report)
    visible = orgscope.visible_org_ids(session, principal)
    if visible is not None:
        query = query.where(Report.org_id.in_(visible))
    query = query.where(or_(Report.status != ReportStatus.draft, Report.org_id == principal.org_id))
    if principal.is_staff:  # the ministry's desk: a member's report reaches it once its province forwarded it
        from service.hierarchy.gate import report_at_ministry

        query = query.where(report_at_ministry())
    if campaign_id:
        query = query.where(Report.campaign_id == campaign_id)
    if kinds:
        query = query.where(Report.kind.in_(kinds))
    if statuses:
        query = query.where(Report.status.in_(statuses))
    if org_id:
        query = query.where(Report.org_id == org_id)
    if region:
        query = query.where(Report.org_id.in_(select(Organization.id).where(
            Organization.region_code.startswith(region, autoescape=True))))
    if featured is not None:
        query = query.where(Report.featured.is_(featured))
    if q:
        query = query.where(Report.search_text.icontains(q, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Report.updated_at.desc(), Report.id).limit(limit).offset(offset)).all()
    return list(rows), total


def linked_assets(session: Session, report_id: uuid.UUID) -> list[tuple[ReportAsset, Asset]]:
    return [(link, asset) for link, asset in session.execute(
        select(ReportAsset, Asset).join(Asset, Asset.id == ReportAsset.asset_id)
        .where(ReportAsset.report_id == report_id).order_by(ReportAsset.position, ReportAsset.id)).all()]


def documents(session: Session, report_id: uuid.UUID) -> list[ReportDocument]:
    return list(session.scalars(select(ReportDocument).where(ReportDocument.report_id == report_id)
                                .order_by(ReportDocument.created_at, ReportDocument.id)).all())


# --- change -------------------------------------------------------------------------------------------------------


def update_report(session: Session, *, principal: Principal, report_id: uuid.UUID, data: ReportUpdate,
                  ip: str | None = None) -> Report:
    report = _writable(session, principal, report_id)
    _plan_only(report.kind, data)
    changes = {key: value for key, value in data.model_dump(exclude_unset=True).items()
               if not (key == "title" and value is None) and getattr(report, key) != value}
    for key, value in changes.items():
        setattr(report, key, value if key in PLAN_FIELDS or value is not None else "")
    if changes:
        report.updated_at = datetime.now(UTC)
        refresh_search_text(session, report)
        session.flush()
        _audit(session, principal, "report.edit", report, ip, fields=sorted(changes))
    return report


def delete_report(session: Session, *, principal: Principal, report_id: uuid.UUID,
                  ip: str | None = None) -> list[str]:
    """Delete a draft with its documents; returns their S3 keys, to delete once the change is committed
    (``service.documents.service.forget_objects``)."""
    report = get_report(session, principal=principal, report_id=report_id)
    if not is_writer(principal, report):
        raise forbidden("只有报送单位本单位的用户可以删除草稿", "only the reporting organisation deletes its drafts")
    if report.status != ReportStatus.draft:
        raise Problem(409, "report_not_draft", "只能删除草稿；已提交的材料请联系上级或编辑部退回",
                      "only drafts can be deleted")
    _audit(session, principal, "report.delete", report, ip, title_chars=len(report.title))
    keys = object_keys(session, report)
    session.delete(report)
    session.flush()
    return keys


def not_linkable() -> Problem:
    return Problem(422, "asset_not_linkable", "只能关联本单位在本届活动周上传的照片和视频",
                   "only photos and videos your organisation uploaded for this campaign can be linked")


def link_assets(session: Session, *, principal: Principal, report_id: uuid.UUID, asset_ids: list[uuid.UUID],
                ip: str | None = None) -> list[uuid.UUID]:
    """Link ready assets of the report's organisation and campaign; returns the newly linked ids (idempotent)."""
    report = _writable(session, principal, report_id)
    linked = set(session.scalars(select(ReportAsset.asset_id).where(ReportAsset.report_id == report.id)).all())
    wanted = [a for a in dict.fromkeys(asset_ids) if a not in linked]
    if len(linked) + len(wanted) > MAX_LINKED_ASSETS:
        raise Problem(422, "too_many_assets", f"每份材料最多关联 {MAX_LINKED_ASSETS} 个照片或视频",
                      f"a report links at most {MAX_LINKED_ASSETS} files")
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(wanted))).all()} if wanted else {}
    for asset_id in wanted:
        asset = assets.get(asset_id)
        if asset is None or asset.org_id != report.org_id or asset.campaign_id != report.campaign_id:
            raise not_linkable()
        if asset.status != AssetStatus.ready:
            raise Problem(422, "asset_not_ready", "文件还没有处理完成或未通过检查，暂不能关联",
                          "this file is not ready (still processing or refused)", extra={"asset_id": str(asset_id)})
    position = session.scalar(select(func.coalesce(func.max(ReportAsset.position), -1))
                              .where(ReportAsset.report_id == report.id)) or 0
    for offset, asset_id in enumerate(wanted, start=1):
        session.add(ReportAsset(report_id=report.id, asset_id=asset_id, position=position + offset))
    if wanted:
        report.updated_at = datetime.now(UTC)
        session.flush()
        _audit(session, principal, "report.edit", report, ip, linked=[str(a) for a in wanted])
    return wanted


def unlink_asset(session: Session, *, principal: Principal, report_id: uuid.UUID, asset_id: uuid.UUID,
                 ip: str | None = None) -> None:
    report = _writable(session, principal, report_id)
    removed = session.execute(delete(ReportAsset).where(ReportAsset.report_id == report.id,
                                                        ReportAsset.asset_id == asset_id))
    if not getattr(removed, "rowcount", 0):
        raise not_found("linked asset")
    report.updated_at = datetime.now(UTC)
    session.flush()
    _audit(session, principal, "report.edit", report, ip, unlinked=[str(asset_id)])


def missing_for_filing(session: Session, report: Report) -> list[str]:
    """What the report lacks before it can be filed, as codes (empty: it can be filed)."""
    missing: list[str] = []
    docs = [d for d in documents(session, report.id) if d.status != DocumentStatus.rejected]
    has_body = bool(report.body.strip())
    if not has_body and not docs:
        missing.append("content")
    if report.kind == ReportKind.summary:
        if not has_body:
            missing.append("body")
        pictures = [a for _, a in linked_assets(session, report.id) if a.kind == AssetKind.image]
        if not pictures and not docs:
            missing.append("picture_or_document")
    if report.kind == ReportKind.plan:
        missing += [name for name in PLAN_FIELDS if not getattr(report, name)]
    return list(dict.fromkeys(missing))


MISSING_NAMES: dict[str, tuple[str, str]] = {
    "content": ("正文或附件文档", "body text or an attached document"),
    "body": ("总结正文", "the summary's text"),
    "picture_or_document": ("至少一张照片或一份文档", "at least one picture or document"),
    "website_url": ("专题网站网址", "the theme website address"),
    "liaison_name": ("联络员姓名", "the liaison's name"),
    "liaison_phone": ("联络员电话", "the liaison's phone"),
    "liaison_email": ("联络员邮箱", "the liaison's e-mail"),
}


def file_report(session: Session, *, principal: Principal, report_id: uuid.UUID, ip: str | None = None) -> Report:
    """Draft or returned → filed, once nothing required is missing (422 ``report_incomplete`` names what is)."""
    report = _writable(session, principal, report_id)
    missing = missing_for_filing(session, report)
    if missing:
        raise Problem(422, "report_incomplete", "还缺少：" + "、".join(MISSING_NAMES[m][0] for m in missing),
                      "missing: " + ", ".join(MISSING_NAMES[m][1] for m in missing), extra={"missing": missing})
    before = _move(report, ReportStatus.filed)
    report.filed_at, report.filed_by = datetime.now(UTC), principal.user_id
    session.flush()
    _audit(session, principal, "report.file", report, ip, **{"from": before.value, "to": report.status.value})
    return report


def _at_ministry(session: Session, report: Report) -> bool:
    """Whether the report has reached the ministry (``service.hierarchy.gate``: forwarded, or no pre-review due)."""
    from service.hierarchy.gate import report_at_ministry

    return session.scalar(select(Report.id).where(Report.id == report.id, report_at_ministry())) is not None


def decide(session: Session, *, principal: Principal, report_id: uuid.UUID, action: str, reason: str = "",
           ip: str | None = None) -> Report:
    """The desk's decision: ``accept``, ``return`` (with a reason), ``feature`` / ``unfeature`` (accepted cases and
    manuscripts). Returned and accepted reports are announced to the reporting organisation."""
    _staff(principal)
    report = get_report(session, principal=principal, report_id=report_id)
    now = datetime.now(UTC)
    if action in ("feature", "unfeature"):
        if report.status != ReportStatus.accepted or report.kind not in FEATURABLE:
            raise Problem(409, "not_featurable", "只有已采用的典型案例和稿件可以精选",
                          "only accepted cases and manuscripts can be featured")
        report.featured = action == "feature"
        session.flush()
        _audit(session, principal, "report.feature", report, ip, featured=report.featured)
        return report
    if action in ("accept", "return") and not _at_ministry(session, report):
        raise Problem(409, "awaiting_prereview", "该材料须先由上级单位审核转报，部里才能采用或退回",
                      "this campaign asks the parent organisation to pre-review first: the desk decides once it is "
                      "forwarded")
    if action == "return":
        if not reason.strip():
            raise Problem(422, "reason_required", "退回时请写明原因和修改建议",
                          "say why the report is returned and what to change")
        before = _move(report, ReportStatus.returned)
        report.return_reason = reason.strip()
        kind, audit_action = EventKind.report_returned, "report.return"
    elif action == "accept":
        before = _move(report, ReportStatus.accepted)
        kind, audit_action = EventKind.report_accepted, "report.accept"
    else:
        raise Problem(422, "bad_action", "未知的操作", "unknown action")
    report.decided_at, report.decided_by = now, principal.user_id
    session.flush()
    detail: dict[str, Any] = {"from": before.value, "to": report.status.value}
    if action == "return":
        detail["reason"] = report.return_reason
    _audit(session, principal, audit_action, report, ip, **detail)
    publish(session, kind, subject_kind="report", subject_id=report.id, org_id=report.org_id,
            campaign_id=report.campaign_id,
            data={"title": report.title, "kind": report.kind.value, **({"reason": reason.strip()} if reason else {})})
    return report
