"""Consent on the pages: the editor's consent form on the asset page, and the submitter's consent section on the
submission page (upload a signed form, declare which files show minors)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from service.consent import documents, service
from service.core.deps import SessionDep
from service.core.errors import Problem
from service.db.asset import Asset
from service.db.consent import ConsentState
from service.db.submission import Submission
from service.web import i18n
from service.web.deps import EditorPage, SubmitterPage

router = APIRouter(include_in_schema=False)

i18n.register({
    "cs.title": ("肖像授权", "Consent"),
    "cs.state": ("授权状态", "Consent state"),
    "cs.minors": ("画面中有未成年人", "Shows minors"),
    "cs.faces": ("检测到的人脸", "Faces found"),
    "cs.documents": ("授权书", "Consent forms"),
    "cs.document": ("授权书", "Form"),
    "cs.this_file": ("仅本文件", "this file only"),
    "cs.yes": ("是", "Yes"),
    "cs.no": ("否", "No"),
    "cs.from_submission": ("（按报送时的勾选）", "(from the submission's checkbox)"),
    "cs.warning": ("检测到人脸但缺少肖像授权：精选或发布前须确认。",
                   "Faces found but no consent on file: featuring or releasing asks you to confirm."),
    "cs.confirm_feature": ("仍然精选（已知缺少授权，将记入审计日志）",
                           "Feature anyway (consent missing; recorded in the audit log)"),
    "cs.confirm_release": ("仍然发布（已知缺少授权，将记入审计日志）",
                           "Release anyway (consent missing; recorded in the audit log)"),
    "cs.badge": ("缺授权", "No consent"),
    "cs.minors_badge": ("未成年人", "Minors"),
    "cs.filter": ("肖像授权", "Consent"),
    "cs.filter_any": ("全部", "Any"),
    "cs.filter_faces_missing": ("有人脸且缺授权", "Faces without consent"),
    "cs.upload": ("上传签字的授权书", "Upload a signed consent form"),
    "cs.upload_hint": ("PDF 或签字表格的照片，不超过 20 MB。授权书只有本单位和媒体编辑部可见，不会发给媒体。",
                       "A PDF or a photo of the signed form, up to 20 MB. Only your organisation and the desk's "
                       "editors see it; it is never delivered to outlets."),
    "cs.covers": ("适用于", "Covers"),
    "cs.whole": ("本次报送的全部文件", "every file of this submission"),
    "cs.files": ("各文件是否有未成年人", "Files showing minors"),
    "cs.uploaded": ("授权书已上传", "Consent form uploaded"),
    "cs.saved": ("授权信息已保存", "Consent details saved"),
    "consent.not_needed": ("无需授权", "Not needed"),
    "consent.on_file": ("授权已存档", "On file"),
    "consent.missing": ("缺少授权", "Missing"),
})


def submission_consent(session: Session, submission: Submission) -> dict[str, Any]:
    """What the submission page shows: the forms on file and each finished file's state and minors flag."""
    files = session.scalars(select(Asset).where(Asset.submission_id == submission.id)
                            .order_by(Asset.created_at)).all()
    return {"consent_documents": documents.list_documents_of(session, submission.id),
            "consent_files": [(a, service.effective_state(a, submission)) for a in files]}


@router.post("/review/assets/{asset_id}/consent")
async def editor_consent(asset_id: uuid.UUID, request: Request, principal: EditorPage,
                         session: SessionDep) -> Response:
    """The editor's consent form on the asset page (audited as ``consent.edit``)."""
    from service.web.review_pages import detail_with_error

    form = await request.form()
    try:
        state = ConsentState(str(form.get("consent_state", "")))
        service.set_consent(session, principal=principal, asset_id=asset_id,
                            shows_minors=form.get("shows_minors") == "on", consent_state=state)
    except ValueError:
        return detail_with_error(request, session, principal, asset_id,
                                 Problem(422, "bad_consent_state", "未知的授权状态", "unknown consent state"))
    except Problem as problem:
        return detail_with_error(request, session, principal, asset_id, problem)
    return RedirectResponse(f"/review/assets/{asset_id}?msg=consent_saved#consent", status_code=303)


@router.post("/submissions/{submission_id}/consent")
async def submitter_consent(submission_id: uuid.UUID, request: Request, principal: SubmitterPage,
                            session: SessionDep) -> Response:
    """The submitter declares which of their files show minors."""
    form = await request.form()
    minors = {str(v) for v in form.getlist("shows_minors")}
    files = session.scalars(select(Asset.id).where(Asset.submission_id == submission_id)).all()
    try:
        for asset_id in files:
            service.set_consent(session, principal=principal, asset_id=asset_id,
                                shows_minors=str(asset_id) in minors, consent_state=None)
    except Problem as problem:
        return _problem_page(request, problem)
    return RedirectResponse(f"/submissions/{submission_id}?msg=consent_saved#consent", status_code=303)


@router.post("/submissions/{submission_id}/consent-documents")
async def upload_form(submission_id: uuid.UUID, request: Request, principal: SubmitterPage,
                      session: SessionDep) -> Response:
    """Upload a signed consent form from the submission page (multipart form)."""
    form = await request.form()
    upload = form.get("file")
    covers = str(form.get("asset_id") or "")
    try:
        data = await upload.read(documents.MAX_CONSENT_DOCUMENT_BYTES + 1) if isinstance(upload, UploadFile) else b""
        asset_id = uuid.UUID(covers) if covers else None
        documents.upload(session, principal=principal, submission_id=submission_id, asset_id=asset_id,
                         data=bytes(data))
    except ValueError:
        return _problem_page(request, Problem(422, "bad_asset", "未知的文件", "unknown file"))
    except Problem as problem:
        return _problem_page(request, problem)
    return RedirectResponse(f"/submissions/{submission_id}?msg=consent_uploaded#consent", status_code=303)


def _problem_page(request: Request, problem: Problem) -> Response:
    from service.web.templating import render

    return render(request, "error.html", status_code=problem.status,
                  message=i18n.detail_text(problem.detail, i18n.lang_of(request)))

