"""The queue speaks the findings vocabulary: ``finding=`` filters by code, facts never flag or score, the risk sort
puts promotion before clean photos, OCR text is found by any 3-character substring, and the API publishes it all."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from fastapi.testclient import TestClient

from service.core.db import session_scope
from service.core.findings import FILTERS, FINDINGS, UnknownFinding, codes_for_filter
from service.db.org import Role
from service.db.review import Review
from service.db.review_index import record_screening
from tests.support import make_actor, make_campaign, make_ready_asset, make_submission, published


def _queue(client: TestClient, headers: dict[str, str], **params: object) -> list[dict[str, object]]:
    response = client.get("/api/v1/review/queue", headers=headers, params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _ids(items: list[dict[str, object]]) -> list[str]:
    return [str(item["asset_id"]) for item in items]


#: What the screening publishes for a clean photo: facts only.
FACTS = ["nudity_checked", "ocr_time", "model_not_configured", "capture_unknown"]


def test_every_filter_finds_its_codes_and_nothing_else(client: TestClient) -> None:
    campaign = make_campaign()
    submission = make_submission(make_actor(Role.submitter), campaign)
    editor = make_actor(Role.editor)
    by_filter: dict[str, str] = {}
    for f in FILTERS:
        code = codes_for_filter(f.code)[-1]  # the last one too: barcode is under 「二维码」 with qr
        by_filter[f.code] = str(make_ready_asset(submission, f"{f.code}.jpg", findings=[code, *FACTS]))
    clean = str(make_ready_asset(submission, "clean.jpg", findings=FACTS))
    for f in FILTERS:
        assert _ids(_queue(client, editor.headers, campaign_id=campaign, finding=f.code)) == [by_filter[f.code]], f
    everything = _queue(client, editor.headers, campaign_id=campaign)
    flags = {str(i["asset_id"]): i["risk_flags"] for i in everything}
    assert flags[clean] == []  # facts are shown with the findings, never as flags
    assert flags[by_filter["qr"]] == ["barcode"]


def test_unknown_finding_filter_is_a_422_problem(client: TestClient) -> None:
    editor = make_actor(Role.editor)
    for old_label in ("qr_code", "watermark:douyin", "nudity_score", "ocr_time"):
        response = client.get("/api/v1/review/queue", headers=editor.headers, params={"finding": old_label})
        assert response.status_code == 422, old_label
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "finding" in response.text
    saved = client.post("/api/v1/review/filters", headers=editor.headers,
                        json={"name": "旧筛选", "query": {"finding": "qr_code"}})
    assert saved.status_code == 422


def test_risk_sort_puts_every_promotion_before_every_clean_photo(client: TestClient) -> None:
    campaign = make_campaign()
    submission = make_submission(make_actor(Role.submitter), campaign)
    editor = make_actor(Role.editor)
    risky = {str(make_ready_asset(submission, f"{code}.jpg", findings=[code, *FACTS]))
             for code in ("qr", "phone", "price", "watermark")}
    clean = {str(make_ready_asset(submission, name, findings=codes)) for name, codes in (
        ("people.jpg", ["faces", *FACTS]),  # faces alone are not a risk
        ("blurry.jpg", ["blurry", "dark", *FACTS]),  # nor is quality
        ("plain.jpg", FACTS),
    )}
    items = _queue(client, editor.headers, campaign_id=campaign, sort="risk")
    assert set(_ids(items)[:4]) == risky
    assert set(_ids(items)[4:]) == clean
    scores = {str(i["asset_id"]): i["risk_score"] for i in items}
    assert {scores[a] for a in clean} == {0.0}
    assert min(scores[a] for a in risky) > 0.5


def test_record_screening_refuses_codes_outside_the_vocabulary() -> None:
    asset_id = make_ready_asset(make_submission(make_actor(Role.submitter), make_campaign()), "x.jpg")
    for label in ("qr_code", "watermark:douyin", "not_configured"):
        with session_scope() as session, pytest.raises(UnknownFinding):
            record_screening(session, asset_id, findings=[{"detector": "qr", "label": label, "score": 1.0}])
    with pytest.raises(UnknownFinding):
        published("ocr_cost")


def test_a_duplicate_cluster_is_the_duplicate_filter_and_a_risk(client: TestClient) -> None:
    campaign = make_campaign()
    submission = make_submission(make_actor(Role.submitter), campaign)
    cluster = uuid.uuid4()
    member = make_ready_asset(submission, "copy.jpg", findings=FACTS, cluster_id=cluster)
    make_ready_asset(submission, "other.jpg", findings=FACTS)
    editor = make_actor(Role.editor)
    items = _queue(client, editor.headers, campaign_id=campaign, finding="duplicate")
    assert _ids(items) == [str(member)]
    assert items[0]["risk_score"] > 0


@pytest.mark.parametrize("term", ["活动周", "育活动", "让生活", "教育活", "p12", "400"])
def test_ocr_text_is_found_by_any_three_character_substring(client: TestClient, term: str) -> None:
    campaign = make_campaign()
    submission = make_submission(make_actor(Role.submitter), campaign, "照片")
    # As OCR returns a banner: split into lines, a space inside the Chinese, full-width letters and digits.
    ocr = "2023年职业教育 活动周\n技能：让生活更美好\nＰ１２ 400-800-1234"
    found = make_ready_asset(submission, "banner.jpg", ocr_text=ocr)
    make_ready_asset(submission, "other.jpg", ocr_text="开放校园")
    editor = make_actor(Role.editor)
    assert _ids(_queue(client, editor.headers, campaign_id=campaign, q=term)) == [str(found)]


def test_search_text_uses_the_trigram_index_for_chinese(client: TestClient) -> None:
    from sqlalchemy import text

    with session_scope() as session:
        # pg_trgm must see Chinese characters as word characters (locale C.UTF-8), or the index answers nothing.
        # Under another locale show_trgm('活动周') is empty and a LIKE '%活动周%' reads the whole index.
        assert len(session.scalar(text("SELECT show_trgm('活动周')")) or []) == 4  # "  活", " 活动", "活动周", "动周 "
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(session.scalars(text("EXPLAIN SELECT asset_id FROM review WHERE search_text LIKE '%活动周%'")))
        assert "ix_review_search_text" in plan, plan


def test_the_api_publishes_the_vocabulary(client: TestClient) -> None:
    submitter = make_actor(Role.submitter)
    body = client.get("/api/v1/findings", headers=submitter.headers).json()
    assert [f["code"] for f in body["findings"]] == list(FINDINGS)
    qr = next(f for f in body["findings"] if f["code"] == "qr")
    assert (qr["name"], qr["kind"], qr["filter"]) == ("二维码", "risk", "qr")
    faces = next(f for f in body["findings"] if f["code"] == "faces")
    assert (faces["kind"], faces["severity"]) == ("fact", 0)
    assert [f["code"] for f in body["filters"]] == [f.code for f in FILTERS]
    english = client.get("/api/v1/findings", headers=submitter.headers, params={"lang": "en"}).json()
    assert next(f for f in english["filters"] if f["code"] == "watermark")["name"] == "Platform watermark"
    schema = client.get("/openapi.json").json()
    queue_params = schema["paths"]["/api/v1/review/queue"]["get"]["parameters"]
    finding = next(p for p in queue_params if p["name"] == "finding")
    assert str([f.code for f in FILTERS]) in str(finding["schema"])  # the filter codes as an OpenAPI enum
    assert client.get("/api/v1/findings").status_code == 401


def test_dashboard_and_findings_report_count_by_filter(client: TestClient) -> None:
    campaign = make_campaign()
    submission = make_submission(make_actor(Role.submitter), campaign)
    for codes in (["qr", "phone", *FACTS], ["barcode", *FACTS], ["faces", *FACTS], FACTS):
        make_ready_asset(submission, "p.jpg", findings=codes)
    editor = make_actor(Role.editor)
    board = client.get("/api/v1/review/dashboard", headers=editor.headers, params={"campaign_id": campaign}).json()
    counts = {r["code"]: r["count"] for r in board["counts"]["finding"]}
    assert counts == {**{f.code: 0 for f in FILTERS}, "qr": 2, "phone": 1, "faces": 1}
    assert next(r for r in board["counts"]["finding"] if r["code"] == "qr")["name"] == "二维码"
    report = client.get("/api/v1/reports/findings", headers=editor.headers,
                        params={"campaign_id": str(campaign), "format": "csv"})
    assert report.status_code == 200, report.text
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["检测结果 Finding", "代码 Code", "素材数 Files"]
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code["qr"][0] == "二维码 QR code"
    assert (by_code["qr"][2], by_code["qr"][3]) == ("2", "2")


def test_review_rows_store_codes_with_kind_and_severity() -> None:
    asset_id = make_ready_asset(make_submission(make_actor(Role.submitter), make_campaign()), "w.jpg",
                                findings=[published("watermark", platform="douyin", text="抖音号:abc"), "faces"])
    with session_scope() as session:
        review = session.get(Review, asset_id)
        assert review is not None
        watermark = next(f for f in review.findings if f["code"] == "watermark")
        assert (watermark["kind"], watermark["severity"], watermark["detail"]["platform"]) == ("risk", 3, "douyin")
        assert review.risk_flags == ["faces", "watermark"]
