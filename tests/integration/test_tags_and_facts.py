"""Tags and media facts against the real servers: one writer for editors' tags (asset API and review queue agree,
every change audited), honest machine tags (the submission's words are suggestions for the submission), and a
``tag`` step that reads no original (EXIF facts come from what ``probe`` stored)."""

from __future__ import annotations

import io
import uuid
from datetime import date

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from service.core.db import session_scope
from service.core.findings import FINDINGS
from service.core.storage import get_storage
from service.db.asset import Asset, AssetStatus
from service.db.campaign import Campaign
from service.db.org import Role
from service.db.screening import AssetTag, Finding
from service.db.submission import Submission
from tests.support import (
    make_actor,
    make_campaign,
    make_probed_asset,
    make_ready_asset,
    make_submission,
    web_login,
)
from workers.steps.probe import probe
from workers.steps.tag import tag_asset


def _ready(client: TestClient) -> tuple[uuid.UUID, dict[str, str], uuid.UUID]:
    submitter = make_actor(Role.submitter)
    campaign = make_campaign()
    asset_id = make_ready_asset(make_submission(submitter, campaign),
                                tags=[{"name": "开放校园", "source": "ocr", "score": 0.8}])
    return asset_id, make_actor(Role.editor).headers, campaign


def test_a_tag_added_through_the_asset_api_is_in_the_queue_and_audited(client: TestClient) -> None:
    asset_id, editor, campaign = _ready(client)
    added = client.post(f"/api/v1/assets/{asset_id}/tags", json={"name": "技能展示"}, headers=editor)
    assert added.status_code == 201, added.text
    assert {"name": "技能展示", "source": "editor", "score": 1.0} in added.json()["tags"]
    review = client.get(f"/api/v1/review/assets/{asset_id}", headers=editor).json()
    assert {"name": "技能展示", "source": "editor", "score": 1.0} in review["tags"]
    queue = client.get("/api/v1/review/queue", params={"tag": "技能展示", "campaign_id": str(campaign)},
                       headers=editor).json()
    assert [item["asset_id"] for item in queue["items"]] == [str(asset_id)]
    events = client.get(f"/api/v1/review/assets/{asset_id}/events", headers=editor).json()
    assert [(e["action"], e["after"]) for e in events] == [("edit", {"tags": ["开放校园", "技能展示"]})]
    assert review["version"] == 2


def test_a_tag_edited_on_the_review_side_shows_in_the_asset_api(client: TestClient) -> None:
    asset_id, editor, _ = _ready(client)
    edited = client.patch(f"/api/v1/review/assets/{asset_id}", headers=editor,
                          json={"add_tags": ["志愿服务"], "remove_tags": ["开放校园"]})
    assert edited.status_code == 200
    tags = client.get(f"/api/v1/assets/{asset_id}", headers=editor).json()["tags"]
    assert tags == [{"name": "志愿服务", "source": "editor", "score": 1.0}]  # the machine tag is gone too
    removed = client.delete(f"/api/v1/assets/{asset_id}/tags", params={"name": "志愿服务"}, headers=editor)
    assert removed.status_code == 200
    assert removed.json()["tags"] == []
    assert client.get(f"/api/v1/review/assets/{asset_id}", headers=editor).json()["tags"] == []
    events = client.get(f"/api/v1/review/assets/{asset_id}/events", headers=editor).json()
    assert [e["action"] for e in events] == ["edit", "edit"]


def test_the_asset_api_respects_claims_and_versions(client: TestClient) -> None:
    asset_id, first, _ = _ready(client)
    second = make_actor(Role.editor).headers
    version = client.post(f"/api/v1/review/assets/{asset_id}/claim", headers=first).json()["version"]
    refused = client.post(f"/api/v1/assets/{asset_id}/tags", json={"name": "技能展示"}, headers=second)
    assert refused.status_code == 409
    assert refused.json()["code"] == "claimed_by_other"
    ok = client.post(f"/api/v1/assets/{asset_id}/tags", json={"name": "技能展示", "version": version}, headers=first)
    assert ok.status_code == 201
    stale = client.delete(f"/api/v1/assets/{asset_id}/tags", params={"name": "技能展示", "version": version},
                          headers=first)
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict"


def test_tags_wait_until_the_asset_is_in_review(client: TestClient) -> None:
    school = make_actor(Role.submitter)
    campaign = make_campaign()
    asset_id = make_probed_asset(school, campaign, make_submission(school, campaign), b"\xff\xd8\xff" + b"0" * 100)
    editor = make_actor(Role.editor).headers
    early = client.post(f"/api/v1/assets/{asset_id}/tags", json={"name": "技能展示"}, headers=editor)
    assert early.status_code == 409
    assert early.json()["code"] == "not_in_review"


def _photo(when: str | None, offset: str | None = None, gps: tuple[float, float] | None = None) -> bytes:
    exif = Image.Exif()
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (gps[0], 0.0, 0.0), 3: "E", 4: (gps[1], 0.0, 0.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (1280, 960), (120, 160, 90)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _probe_then_tag(asset_id: uuid.UUID, *, delete_original: bool = True) -> None:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        probe(session, asset, None)  # type: ignore[arg-type]
        key = asset.original_key
    if delete_original:  # the tag step must not need it
        get_storage().delete(key)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        tag_asset(session, asset)


def _findings(asset_id: uuid.UUID) -> dict[str, dict[str, object]]:
    with session_scope() as session:
        return {f.label: f.detail for f in session.scalars(select(Finding).where(Finding.asset_id == asset_id))}


def _week(campaign_id: uuid.UUID) -> None:
    with session_scope() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id)
                        .values(week_start=date(2023, 5, 14), week_end=date(2023, 5, 20)))


def test_submission_words_are_suggestions_for_the_submission_not_tags_of_each_file(client: TestClient) -> None:
    campaign = make_campaign()
    _week(campaign)
    school = make_actor(Role.submitter)
    submission_id = make_submission(school, campaign, title="社区服务 家电维修")
    with session_scope() as session:
        session.execute(update(Submission).where(Submission.id == submission_id).values(
            description="学生走进社区开展家电维修志愿服务", region_code="370100"))
    cup = make_probed_asset(school, campaign, submission_id, _photo("2023:05:16 10:00:00", "+08:00", (36.65, 117.0)),
                            filename="cup.jpg")
    _probe_then_tag(cup)

    with session_scope() as session:
        sources = set(session.scalars(select(AssetTag.source).where(AssetTag.asset_id == cup)))
    assert not sources  # no per-file evidence (no caption, no OCR text, no visual model): no per-file tags
    editor = make_actor(Role.editor).headers
    body = client.get(f"/api/v1/assets/{cup}", headers=editor).json()
    assert body["tags"] == []
    suggested = {t["name"]: t for t in body["submission_suggestions"]}
    assert "家电维修" in suggested
    assert suggested["家电维修"]["source"] == "submission_text"
    assert "家电维修" in suggested["家电维修"]["evidence"]
    on_submission = client.get(f"/api/v1/submissions/{submission_id}", headers=school.headers).json()
    assert "家电维修" in {t["name"] for t in on_submission["suggested_tags"]}

    with session_scope() as session:  # the review page shows them in the submission's box, labelled as such
        session.execute(update(Asset).where(Asset.id == cup).values(status=AssetStatus.ready))
    page_editor = make_actor(Role.editor, password="correct-horse-battery")
    web_login(client, page_editor.username, "correct-horse-battery")
    page = client.get(f"/review/assets/{cup}").text
    assert "建议标签（来自报送说明）" in page
    assert '>家电维修</span>' in page

    findings = _findings(cup)
    assert set(findings) <= set(FINDINGS)  # vocabulary codes only
    assert {"capture_in_week", "gps_in_province", "model_not_configured"} <= set(findings)
    assert findings["capture_in_week"]["capture_time_zone"] == "exif"
    assert findings["model_not_configured"]["model"] == "chinese-clip"


def test_a_files_own_caption_is_per_file_evidence(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    submission_id = make_submission(school, campaign, title="活动照片")
    asset_id = make_probed_asset(school, campaign, submission_id, _photo(None))
    with session_scope() as session:
        session.execute(update(Asset).where(Asset.id == asset_id).values(caption="学生在实训室开展家电维修"))
    _probe_then_tag(asset_id)
    body = client.get(f"/api/v1/assets/{asset_id}", headers=make_actor(Role.editor).headers).json()
    assert ("家电维修", "metadata") in {(t["name"], t["source"]) for t in body["tags"]}
    assert "capture_unknown" in _findings(asset_id)  # no DateTimeOriginal, and no file-time fallback


def test_a_year_9999_capture_time_is_unknown_not_an_overflow(client: TestClient) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    asset_id = make_probed_asset(school, campaign, make_submission(school, campaign),
                                 _photo("9999:12:31 23:59:59", "-05:00", (0.0, 0.0)))
    _probe_then_tag(asset_id)
    body = client.get(f"/api/v1/assets/{asset_id}", headers=make_actor(Role.editor).headers).json()
    assert body["capture_time"] is None
    assert body["probe"]["capture_time_refused"] == "9999:12:31 23:59:59"
    findings = _findings(asset_id)
    assert "capture_unknown" in findings
    assert not {"gps_in_province", "gps_outside_province"} & set(findings)  # (0, 0) is no fix
