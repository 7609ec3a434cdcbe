"""A report's documents against the real stack (uvicorn, Celery worker, PostgreSQL, S3): typed by content, text
extracted (Chinese), first page drawn, the text screened by the OCR rules, searchable; limits and access."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from service.core.db import session_scope
from service.core.security import Principal
from service.core.storage import get_storage
from service.db.org import OrgKind, Role
from service.db.reporting import Report
from service.documents.service import search_reports
from tests.documents_samples import (
    HONEST_TEXT,
    PHONE_TEXT,
    docx_bytes,
    make_document,
    make_report,
    multipart,
    odt_bytes,
    pdf_bytes,
)
from tests.support import Actor, ChildProcess, LiveAPI, make_actor, make_campaign, make_org, wait_until, worker_process

FINAL = {"ready", "rejected"}


@pytest.fixture(scope="module")
def worker(child_env: dict[str, str], logs_dir: Path) -> Iterator[ChildProcess]:
    process = worker_process(child_env, logs_dir, queues="media", name="documents-worker").start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def api(live_api: LiveAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api.url, timeout=60) as client:
        yield client


def upload(api: httpx.Client, actor: Actor, report_id: uuid.UUID, name: str, data: bytes) -> httpx.Response:
    body, headers = multipart(name, data)
    return api.post(f"/api/v1/reports/{report_id}/documents", content=body, headers=actor.headers | headers)


def settle(api: httpx.Client, actor: Actor, document_id: str, timeout: float = 120) -> dict[str, object]:
    found: dict[str, object] = {}

    def done() -> bool:
        found.update(api.get(f"/api/v1/documents/{document_id}", headers=actor.headers).json())
        return found.get("status") in FINAL

    wait_until(done, timeout=timeout, interval=0.5, message=f"document {document_id} to be inspected")
    return found


def principal(actor: Actor) -> Principal:
    return Principal(actor.user_id, actor.username, actor.role, actor.org_id)


def test_documents_typed_by_content_extracted_screened_and_searchable(api: httpx.Client, worker: ChildProcess) -> None:
    school = make_actor(Role.submitter)
    campaign = make_campaign()
    report_id = make_report(school, campaign, title="典型案例：开放校园日")
    # Each named as something it is not: only the content decides.
    files = {
        "pdf": ("方案.docx", pdf_bytes([HONEST_TEXT, PHONE_TEXT])),
        "docx": ("稿件.pdf", docx_bytes(["数控车间开放日，市民体验精密加工。", "指导教师：王老师"])),
        "odt": ("总结.txt", odt_bytes(["烹饪专业学生为社区老人制作午餐。"])),
        "txt": ("说明.odt", "国家级非遗传承人走进校园，讲解景泰蓝工艺。\n".encode("gb18030")),
    }
    ids = {}
    for kind, (name, data) in files.items():
        response = upload(api, school, report_id, name, data)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "pending"
        ids[kind] = response.json()["id"]
    docs = {kind: settle(api, school, document_id) for kind, document_id in ids.items()}
    assert {kind: doc["status"] for kind, doc in docs.items()} == dict.fromkeys(files, "ready"), docs
    assert {kind: doc["doc_type"] for kind, doc in docs.items()} == {kind: kind for kind in files}
    assert docs["pdf"]["pages"] == 2
    assert "职业教育活动周开放校园" in str(docs["pdf"]["excerpt"])
    assert "精密加工" in str(docs["docx"]["excerpt"])
    assert "社区老人" in str(docs["odt"]["excerpt"])
    assert "景泰蓝" in str(docs["txt"]["excerpt"])

    # the OCR text rules found the phone number and the promotion on the PDF's second page; nothing on honest text
    codes = {(f["code"], f["evidence"].get("page")) for f in docs["pdf"]["findings"]}  # type: ignore[union-attr]
    assert {("phone", 2), ("promotion", 2)} <= codes, codes
    assert any(f["evidence"]["text"] == "13812345678" for f in docs["pdf"]["findings"])  # type: ignore[union-attr]
    assert docs["odt"]["findings"] == []
    assert docs["txt"]["findings"] == []

    # first-page pictures: a rendered PDF page (A4 portrait) and text cards, all JPEG
    for kind in files:
        response = api.get(f"/api/v1/documents/{ids[kind]}/thumbnail", headers=school.headers)
        assert response.status_code == 200, kind
        with Image.open(io.BytesIO(response.content)) as picture:
            assert picture.format == "JPEG"
            assert picture.height > picture.width
    # the original comes back byte for byte through a presigned link
    link = api.get(f"/api/v1/documents/{ids['docx']}/download", headers=school.headers)
    assert link.status_code == 307
    assert httpx.get(link.headers["location"], timeout=30).content == files["docx"][1]

    # searchable in Chinese: words only inside documents find the report, for those who may see it
    other_school = make_actor(Role.submitter)
    with session_scope() as session:
        report = session.get(Report, report_id)
        assert report is not None
        assert report.search_text.startswith("典型案例：开放校园日")
        assert "景泰蓝" in report.search_text
        for words in ("景泰蓝", "精密加工", "社区老人", "13812345678"):
            assert [r.id for r in search_reports(session, principal(school), words)] == [report_id], words
        assert search_reports(session, principal(other_school), "景泰蓝") == []
        assert search_reports(session, principal(school), "不存在的词语") == []

    listed = api.get(f"/api/v1/reports/{report_id}/documents", headers=school.headers).json()
    assert [doc["id"] for doc in listed] == list(ids.values())


def test_limits_from_the_campaign(api: httpx.Client, worker: ChildProcess) -> None:
    school = make_actor(Role.submitter)
    campaign = make_campaign(max_document_bytes=20_000, max_document_pages=2)
    report_id = make_report(school, campaign)
    big = upload(api, school, report_id, "大.txt", ("长文本" * 10_000).encode())
    assert big.status_code == 413
    assert big.json()["code"] == "document_too_large"
    many = upload(api, school, report_id, "多页.pdf", pdf_bytes([HONEST_TEXT] * 3))
    assert many.status_code == 202
    refused = settle(api, school, many.json()["id"])
    assert refused["status"] == "rejected"
    assert refused["reject"]["code"] == "document_too_many_pages"  # type: ignore[index]
    assert "页数" in refused["reject"]["zh"]  # type: ignore[index]
    # its uploader is told (one event in the outbox, in the same transaction as the refusal)
    with session_scope() as session:
        from sqlalchemy import select

        from service.db.events import OutboxEvent

        refused_id = uuid.UUID(many.json()["id"])
        events = session.scalars(select(OutboxEvent).where(OutboxEvent.subject_id == refused_id)).all()
        assert [(e.kind, e.user_id, e.data["reject_code"]) for e in events] == [
            ("document_rejected", school.user_id, "document_too_many_pages")]
    # a refused document is never handed out
    assert api.get(f"/api/v1/documents/{many.json()['id']}/download", headers=school.headers).status_code == 409
    photo = upload(api, school, report_id, "照片.pdf", Image_bytes())
    assert (photo.status_code, photo.json()["code"]) == (415, "document_is_media")
    assert upload(api, school, report_id, "空.pdf", b"").json()["code"] == "document_empty"


def Image_bytes() -> bytes:  # noqa: N802 - reads as what it returns
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_who_may_add_see_and_remove(api: httpx.Client, worker: ChildProcess) -> None:
    province = make_org(OrgKind.province, name=f"省教育厅-{uuid.uuid4().hex[:6]}")
    school_org = make_org(OrgKind.school)
    with session_scope() as session:
        from service.db.org import Organization

        org = session.get(Organization, school_org)
        assert org is not None
        org.parent_id = province
    school, officer, stranger = (make_actor(Role.submitter, school_org), make_actor(Role.submitter, province),
                                 make_actor(Role.submitter))
    campaign = make_campaign()
    draft = make_report(school, campaign)
    response = upload(api, school, draft, "说明.txt", HONEST_TEXT.encode())
    assert response.status_code == 202
    document_id = response.json()["id"]
    # a draft is its own organisation's: the province does not see it yet, a stranger never
    assert api.get(f"/api/v1/documents/{document_id}", headers=officer.headers).status_code == 404
    assert api.get(f"/api/v1/documents/{document_id}", headers=stranger.headers).status_code == 404
    filed = make_report(school, campaign, status="filed")
    kept = upload(api, school, filed, "说明.txt", HONEST_TEXT.encode()).json()["id"]
    assert settle(api, school, kept)["status"] == "ready"
    # nothing is handed out before its inspection passed (it may be hostile)
    waiting = make_document(school, filed, status="pending")
    pending = api.get(f"/api/v1/documents/{waiting}/download", headers=school.headers)
    assert (pending.status_code, pending.json()["code"]) == (409, "document_pending")
    # the province above the school sees and downloads a filed report's documents, may not add or remove them
    seen = api.get(f"/api/v1/documents/{kept}/download", headers=officer.headers)
    assert seen.status_code == 307, seen.text
    assert upload(api, officer, filed, "省厅.txt", HONEST_TEXT.encode()).status_code == 403
    assert api.delete(f"/api/v1/documents/{kept}", headers=officer.headers).status_code == 403
    assert api.get(f"/api/v1/documents/{kept}", headers=stranger.headers).status_code == 404
    # a filed report's documents stay; a draft's go, with the stored objects
    refused = api.delete(f"/api/v1/documents/{kept}", headers=school.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "report_not_editable")
    with session_scope() as session:
        from service.db.reporting import ReportDocument

        row = session.get(ReportDocument, uuid.UUID(document_id))
        assert row is not None
        key = row.object_key
    assert get_storage().exists(key)
    assert api.delete(f"/api/v1/documents/{document_id}", headers=school.headers).status_code == 204
    assert api.get(f"/api/v1/documents/{document_id}", headers=school.headers).status_code == 404
    wait_until(lambda: not get_storage().exists(key), timeout=10, message="the original to be deleted")
    with session_scope() as session:
        from sqlalchemy import select

        from service.db.audit import AuditLog

        actions = set(session.scalars(select(AuditLog.action).where(
            AuditLog.target_id.in_([uuid.UUID(document_id), uuid.UUID(kept)]))).all())
    assert actions == {"document.upload", "document.delete"}
    accepted = make_report(school, campaign, status="accepted")
    closed = upload(api, school, accepted, "晚了.txt", HONEST_TEXT.encode())
    assert (closed.status_code, closed.json()["code"]) == (409, "report_closed")


def test_inspection_is_idempotent(servers: object) -> None:
    """Run twice: the second run finds the document done and changes nothing, and no object is written twice."""
    from workers.documents.tasks import inspect

    school = make_actor(Role.submitter)
    report_id = make_report(school, make_campaign())
    from service.documents.service import Stored, add_document, original_key, thumbnail_key

    data = pdf_bytes([PHONE_TEXT])
    document_id = uuid.uuid4()
    with session_scope() as session:
        report = session.get(Report, report_id)
        assert report is not None
        key = original_key(report, document_id, "a.pdf")
        get_storage().put_bytes(key, data, "application/pdf")
        add_document(session, principal=principal(school), report=report,
                     stored=Stored(document_id, key, "a.pdf", len(data), "0" * 64, "pdf"))
        session.info.pop("pending_tasks", None)  # run it here rather than through the broker
    assert inspect(document_id) == "ready"
    with session_scope() as session:
        from service.db.reporting import ReportDocument

        first = session.get(ReportDocument, document_id)
        assert first is not None
        before = (first.findings, first.text, first.updated_at)
    assert inspect(document_id) is None
    with session_scope() as session:
        again = session.get(ReportDocument, document_id)
        assert again is not None
        assert (again.findings, again.text, again.updated_at) == before
    assert get_storage().list_keys(f"derived/documents/{document_id}/") == [thumbnail_key(document_id)]


def test_a_lost_inspection_is_sent_again(servers: object) -> None:
    """A document whose message never reached the broker is re-sent once it waited long enough, and only then."""
    from datetime import UTC, datetime

    from service.core.tasks import producer
    from service.db.reporting import ReportDocument
    from tests.documents_samples import make_document
    from workers.documents.tasks import LOST_AFTER, requeue_lost

    school = make_actor(Role.submitter)
    document_id = make_document(school, make_report(school, make_campaign()), status="pending")
    assert producer() is not None
    with session_scope() as session:
        fresh = session.get(ReportDocument, document_id)
        assert fresh is not None
        waited = fresh.updated_at
    requeue_lost()  # pending for seconds only: left alone
    with session_scope() as session:
        row = session.get(ReportDocument, document_id)
        assert row is not None
        assert row.updated_at == waited
        row.updated_at = datetime.now(UTC) - LOST_AFTER * 2
    assert requeue_lost() >= 1
    with session_scope() as session:
        row = session.get(ReportDocument, document_id)
        assert row is not None
        resent = row.updated_at
        assert datetime.now(UTC) - resent < LOST_AFTER  # re-sent, and not again before LOST_AFTER passes
    requeue_lost()
    with session_scope() as session:
        row = session.get(ReportDocument, document_id)
        assert row is not None
        # not re-sent again (unless a worker of this module already inspected it, which moves it on)
        assert row.updated_at == resent or row.status.value != "pending"


def test_bad_bodies_get_a_specific_answer_never_a_500(client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    school = make_actor(Role.submitter)
    report_id = make_report(school, make_campaign())
    url = f"/api/v1/reports/{report_id}/documents"
    body, headers = multipart("a.txt", HONEST_TEXT.encode())
    two = body.replace(b"--mediadesk-test-boundary--", b"--mediadesk-test-boundary") + body.split(b"\r\n", 1)[1]
    cases = {
        "json instead of a form": (b'{"file": "x"}', {"Content-Type": "application/json"}, 415, "multipart_required"),
        "no boundary": (body, {"Content-Type": "multipart/form-data"}, 415, "multipart_required"),
        "no file field": (body.replace(b'name="file"', b'name="other"'), headers, 400, "file_missing"),
        "two files": (two, headers, 400, "one_file_only"),
        "cut before the end": (body[: len(body) // 2], headers, 400, "file_missing"),
        "garbage": (bytes(range(256)) * 4, headers, 400, None),
    }
    for name, (content, sent_headers, status, code) in cases.items():
        response = client.post(url, content=content, headers=school.headers | sent_headers)
        assert response.status_code == status, (name, response.status_code, response.text)
        if code:
            assert response.json()["code"] == code, name
    with session_scope() as session:
        from sqlalchemy import func, select

        from service.db.reporting import ReportDocument

        assert session.scalar(select(func.count()).where(ReportDocument.report_id == report_id)) == 0
