"""Consent state of files, editors' edits, and the check before a file with faces and missing consent is featured
or released (409 ``consent_missing`` unless the editor confirms; the confirmation is audited).

A file's state is its own ``asset.consent_state`` when set, else its submission's checkbox: ticked → on file,
unticked → missing (``effective_state``/``effective_state_sql`` are the one definition, in Python and in SQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from service.core.audit import record
from service.core.errors import Problem, not_found
from service.core.security import Principal
from service.db.asset import Asset
from service.db.consent import ConsentState
from service.db.screening import AssetScreening, Finding
from service.db.submission import Submission

#: zh-CN / English names of the states (pages show names, never codes).
STATE_NAMES: dict[str, tuple[str, str]] = {
    ConsentState.not_needed: ("无需授权", "Not needed"),
    ConsentState.on_file: ("授权已存档", "On file"),
    ConsentState.missing: ("缺少授权", "Missing"),
}


def state_name(state: str, lang: str = "zh") -> str:
    names = STATE_NAMES.get(state, (state, state))
    return names[0] if lang.startswith("zh") else names[1]


def effective_state(asset: Asset, submission: Submission | None) -> ConsentState:
    if asset.consent_state is not None:
        return ConsentState(asset.consent_state)
    return ConsentState.on_file if submission is not None and submission.consent else ConsentState.missing


def effective_state_sql() -> ColumnElement[str]:
    """The same rule as ``effective_state`` for a query over ``asset`` (correlated to the submission)."""
    ticked = select(Submission.consent).where(Submission.id == Asset.submission_id).correlate(Asset).scalar_subquery()
    return func.coalesce(Asset.consent_state, case((ticked.is_(True), ConsentState.on_file.value),
                                                   else_=ConsentState.missing.value))


def has_faces_sql(asset_id: Any = Asset.id) -> ColumnElement[bool]:
    """Screening found at least one face (the face count in ``asset_screening`` or a ``faces`` finding)."""
    return or_(exists().where(AssetScreening.asset_id == asset_id, AssetScreening.faces > 0),
               exists().where(Finding.asset_id == asset_id, Finding.label == "faces"))


def faces_without_consent_sql() -> ColumnElement[bool]:
    """For a query over ``asset``: the file has faces and its consent is missing."""
    return and_(has_faces_sql(Asset.id), effective_state_sql() == ConsentState.missing.value)


def face_count(session: Session, asset_id: uuid.UUID) -> int:
    faces = session.scalar(select(AssetScreening.faces).where(AssetScreening.asset_id == asset_id))
    if faces:
        return int(faces)
    found = session.scalar(select(exists().where(Finding.asset_id == asset_id, Finding.label == "faces")))
    return 1 if found else 0


def set_consent(session: Session, *, principal: Principal, asset_id: uuid.UUID, shows_minors: bool | None,
                consent_state: ConsentState | None) -> Asset:
    """A submitter (own organisation) declares "shows minors"; editors may also set the consent state. Audited."""
    asset = session.get(Asset, asset_id, with_for_update=True)
    if asset is None or (not principal.is_staff and asset.org_id != principal.org_id):
        raise not_found("asset")
    if consent_state is not None and not principal.is_staff:
        raise Problem(403, "forbidden", "只有编辑可以修改授权状态；请上传签字的授权书",
                      "only editors set the consent state; upload the signed consent form instead")
    before = {"shows_minors": asset.shows_minors, "consent_state": asset.consent_state}
    if shows_minors is not None:
        asset.shows_minors = shows_minors
    if consent_state is not None:
        asset.consent_state = consent_state
    after = {"shows_minors": asset.shows_minors, "consent_state": asset.consent_state}
    if after != before:
        record(session, actor=principal, action="consent.edit", target_kind="asset", target_id=asset.id,
               org_id=asset.org_id, detail={"before": _plain(before), "after": _plain(after)})
    session.flush()
    return asset


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, ConsentState) else v) for k, v in values.items()}


def lacking_consent(session: Session, asset_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Of these files, those with faces and missing consent (in the order given)."""
    ids = list(dict.fromkeys(asset_ids))
    if not ids:
        return []
    found = set(session.scalars(select(Asset.id).where(Asset.id.in_(ids), faces_without_consent_sql())))
    return [i for i in ids if i in found]


def confirm_consent(session: Session, *, principal: Principal, asset_ids: Iterable[uuid.UUID], confirmed: bool,
                    context: str, collection_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Before featuring or releasing: files with faces and missing consent need the editor's confirmation.

    Without ``confirmed``: 409 ``consent_missing`` listing them. With it: one ``consent.override`` audit row per file
    (what was confirmed, where). Returns the files that needed confirming."""
    lacking = lacking_consent(session, asset_ids)
    if not lacking:
        return []
    if not confirmed:
        raise Problem(409, "consent_missing",
                      f"{len(lacking)} 个文件检测到人脸但缺少肖像授权；确认仍要继续请重新提交并确认",
                      f"{len(lacking)} file(s) show faces but have no consent on file; resend with "
                      "confirm_without_consent=true to go ahead",
                      extra={"asset_ids": [str(i) for i in lacking]})
    orgs = dict(session.execute(select(Asset.id, Asset.org_id).where(Asset.id.in_(lacking))).tuples().all())
    for asset_id in lacking:
        record(session, actor=principal, action="consent.override", target_kind="asset", target_id=asset_id,
               org_id=orgs.get(asset_id),
               detail={"context": context, "collection_id": str(collection_id) if collection_id else None,
                       "faces": face_count(session, asset_id)})
    return lacking
