"""screen → dedupe → tag against the real servers: end to end through a real worker process and the API, clusters
across organisations, a clip cut from a longer video, editors' tags, and idempotency of each step."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, text

from service.core.db import session_scope
from service.core.tasks import queue_step
from service.db.asset import Asset
from service.db.org import Role
from service.db.screening import AssetHash, AssetScreening, AssetTag, DuplicateCluster, Finding
from service.db.submission import Submission
from tests.screening_media import banner, jpeg, photo, qr_with_phone, video
from tests.support import ChildProcess, make_actor, make_campaign, make_probed_asset, make_submission, wait_for_asset
from workers.steps.dedupe import dedupe_asset
from workers.steps.screen import screen_asset
from workers.steps.tag import tag_asset


def _poster() -> Image.Image:
    """A photo with a Chinese banner on it (falls back to a plain photo without a CJK font)."""
    image = photo(21, (1280, 960))
    strip = banner("2023年职业教育活动周 开放校园", (1280, 200), 72)
    if strip is not None:
        image.paste(strip, (0, 0))
    return image


def _describe(submission_id: uuid.UUID) -> None:
    with session_scope() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        submission.description = "学生在实训室展示数控加工技能，校企合作推进产教融合"
        submission.theme_tags = ["产教融合"]


def test_pipeline_end_to_end_findings_clusters_and_tags(
    worker: ChildProcess, http: httpx.Client, tmp_path: Path
) -> None:
    campaign = make_campaign()
    school_a, school_b = make_actor(Role.submitter), make_actor(Role.submitter)
    editor = make_actor(Role.editor)
    sub_a = make_submission(school_a, campaign, title="开放校园 技能展示")
    sub_b = make_submission(school_b, campaign, title="活动照片")
    _describe(sub_a)
    poster = _poster()
    original = make_probed_asset(school_a, campaign, sub_a, jpeg(poster), width=1280, height=960)
    copy = make_probed_asset(school_b, campaign, sub_b, jpeg(poster.resize((640, 480)), 40), width=640, height=480)
    promo = make_probed_asset(school_b, campaign, sub_b, jpeg(qr_with_phone()), width=900, height=520)
    clip = video(tmp_path / "v.mp4", [(3, photo(31)), (2, None), (3, photo(32))])
    film = make_probed_asset(
        school_a,
        campaign,
        sub_a,
        clip.read_bytes(),
        filename="v.mp4",
        kind="video",
        mime="video/mp4",
        width=320,
        height=240,
        duration=8.0,
    )
    with session_scope() as session:
        for asset_id in (original, copy, promo, film):
            queue_step(session, asset_id, "screen")

    bodies = {
        name: wait_for_asset(http, str(asset_id), editor.headers, {"ready", "failed", "rejected_invalid"}, timeout=600)
        for name, asset_id in (("original", original), ("copy", copy), ("promo", promo), ("film", film))
    }
    assert {name: body["status"] for name, body in bodies.items()} == dict.fromkeys(bodies, "ready"), bodies

    first = bodies["original"]
    codes = {(f["detector"], f["code"]) for f in first["findings"]}
    assert {("nudity", "nudity_checked"), ("text", "ocr_time"), ("safety", "model_not_configured"),
            ("visual", "model_not_configured")} <= codes
    assert "nudity" not in {code for _, code in codes}
    facts = {f["code"]: f for f in first["findings"] if f["kind"] == "fact"}
    assert facts["nudity_checked"]["name"] == "已做裸露检测"
    assert {f["detail"]["model"] for f in first["findings"] if f["code"] == "model_not_configured"} == {
        "safety", "chinese-clip"}
    assert first["quality"]["score"] >= 0
    assert {"sharpness", "exposure", "resolution"} <= set(first["quality"]["parts"])
    tags = {(t["name"], t["source"]) for t in first["tags"]}
    assert ("产教融合", "submitter") in tags  # the submitter's own theme tag
    assert not {name for name, source in tags if source == "metadata"}  # the submission's words are not per-file
    suggested = {t["name"]: t for t in first["submission_suggestions"]}
    assert {"开放校园", "产教融合"} <= set(suggested)
    assert {t["source"] for t in suggested.values()} == {"submission_text"}
    if banner("x") is not None:
        assert "职业教育活动周" in first["ocr_text"]
        assert ("职业教育活动周", "ocr") in tags

    dup = first["duplicates"]
    assert dup["cluster_id"] is not None
    assert dup["cluster_id"] == bodies["copy"]["duplicates"]["cluster_id"]
    assert dup["cluster_size"] == 2
    assert dup["best_asset_id"] == str(original)  # higher resolution wins
    cluster = http.get(f"/api/v1/clusters/{dup['cluster_id']}", headers=editor.headers)
    assert cluster.status_code == 200
    members = {m["asset_id"]: m for m in cluster.json()["members"]}
    assert set(members) == {str(original), str(copy)}
    assert {m["org_id"] for m in members.values()} == {str(school_a.org_id), str(school_b.org_id)}
    assert http.get(f"/api/v1/clusters/{dup['cluster_id']}", headers=school_a.headers).status_code == 403

    promo = bodies["promo"]["findings"]
    assert {("qr", "qr"), ("text", "phone")} <= {(f["detector"], f["code"]) for f in promo}
    assert [f["kind"] for f in promo][:2] == ["risk", "risk"]  # risks first, named from the vocabulary
    assert {f["name"] for f in promo if f["code"] == "qr"} == {"二维码"}
    assert bodies["promo"]["duplicates"]["cluster_id"] is None

    film_findings = {(f["detector"], f["code"]): f for f in bodies["film"]["findings"]}
    black = film_findings[("quality", "black_segment")]["detail"]["black_segments"]
    assert len(black) == 1
    assert "worst_frame_t" in film_findings[("nudity", "nudity_checked")]["detail"]
    assert bodies["film"]["quality"]["parts"]["duration"] > 7


def _screened(asset_id: uuid.UUID) -> dict[str, object]:
    with session_scope() as session:
        return {
            "findings": sorted(
                (f.detector, f.label) for f in session.scalars(select(Finding).where(Finding.asset_id == asset_id))
            ),
            "hashes": session.scalar(select(func.count()).where(AssetHash.asset_id == asset_id)),
            "tags": sorted(
                (t.tag_id, t.source.value)
                for t in session.scalars(select(AssetTag).where(AssetTag.asset_id == asset_id))
            ),
            "cluster": session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == asset_id)),
        }


def _run(asset_id: uuid.UUID, *steps: object) -> None:
    for step in steps:
        with session_scope() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            step(session, asset)  # type: ignore[operator]


def test_each_step_twice_gives_the_same_result(servers: object) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    submission = make_submission(school, campaign, title="社区服务 家电维修")
    base = photo(41, (1024, 768))
    first = make_probed_asset(school, campaign, submission, jpeg(base), width=1024, height=768)
    second = make_probed_asset(school, campaign, submission, jpeg(base.resize((800, 600)), 50), width=800, height=600)
    _run(first, screen_asset, dedupe_asset, tag_asset)
    _run(second, screen_asset, dedupe_asset, tag_asset)
    once = _screened(second)
    _run(second, screen_asset, dedupe_asset, tag_asset)
    assert _screened(second) == once
    assert once["cluster"] is not None
    assert once["hashes"] >= 3  # full + two central crops, and local windows where the photo has blobs
    with session_scope() as session:
        cluster = session.get(DuplicateCluster, once["cluster"])
        assert cluster is not None
        assert cluster.size == 2


def test_clip_cut_from_a_longer_video_joins_its_cluster(servers: object, tmp_path: Path) -> None:
    campaign = make_campaign()
    province, school = make_actor(Role.submitter), make_actor(Role.submitter)
    scenes = [(2.0, photo(seed, (480, 360))) for seed in range(50, 58)]
    long_video = video(tmp_path / "long.mp4", scenes, tone=False)
    cut = video(tmp_path / "cut.mp4", scenes[3:7], tone=False)  # seconds 6–14 of the long one, re-encoded
    unrelated = video(tmp_path / "other.mp4", [(2.0, photo(seed, (480, 360))) for seed in range(70, 74)], tone=False)
    sub_p, sub_s = make_submission(province, campaign), make_submission(school, campaign)
    ids = [
        make_probed_asset(actor, campaign, sub, path.read_bytes(), filename=path.name, kind="video", mime="video/mp4")
        for actor, sub, path in ((province, sub_p, long_video), (school, sub_s, cut), (school, sub_s, unrelated))
    ]
    for asset_id in ids:
        _run(asset_id, dedupe_asset)
    clusters = [_screened(asset_id)["cluster"] for asset_id in ids]
    assert clusters[0] is not None
    assert clusters[0] == clusters[1]
    assert clusters[2] is None


def test_editors_add_and_remove_tags(client: TestClient) -> None:
    campaign = make_campaign()
    school, editor = make_actor(Role.submitter), make_actor(Role.editor)
    asset_id = make_probed_asset(school, campaign, make_submission(school, campaign), jpeg(photo(3)), status="ready")
    url = f"/api/v1/assets/{asset_id}/tags"
    added = client.post(url, json={"name": "精选候选"}, headers=editor.headers)
    assert added.status_code == 201
    assert {"name": "精选候选", "source": "editor", "score": 1.0} in added.json()["tags"]
    assert client.post(url, json={"name": "精选候选"}, headers=editor.headers).status_code == 201  # idempotent
    assert client.post(url, json={"name": "x"}, headers=school.headers).status_code == 403
    body = client.get(f"/api/v1/assets/{asset_id}", headers=school.headers).json()
    assert body["tags"] == [{"name": "精选候选", "source": "editor", "score": 1.0}]
    removed = client.delete(url, params={"name": "精选候选"}, headers=editor.headers)
    assert removed.status_code == 200
    assert removed.json()["tags"] == []
    missing = client.delete(url, params={"name": "精选候选"}, headers=editor.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_ocr_text_is_searchable_by_trigram(servers: object) -> None:
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    asset_id = make_probed_asset(school, campaign, make_submission(school, campaign), jpeg(photo(4)))
    marker = f"技能大赛{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        session.add(AssetScreening(asset_id=asset_id, ocr_text=f"第一届{marker}开幕"))
    with session_scope() as session:
        found = session.scalars(select(AssetScreening.asset_id).where(AssetScreening.ocr_text.ilike(f"%{marker}%")))
        assert list(found) == [asset_id]
        index = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_asset_screening_ocr_text_trgm'")
        )
        assert "gin_trgm_ops" in (index or "")


def test_tag_step_publishes_only_vocabulary_codes(servers: object) -> None:
    """Capture time in / outside the week or unknown, GPS in / outside the province: every metadata finding the tag
    step can publish goes through the vocabulary check on ``Finding`` (an unknown code would raise here)."""
    from datetime import UTC, datetime, timedelta

    campaign = make_campaign()
    school = make_actor(Role.submitter)  # region 370100 (Shandong)
    submission = make_submission(school, campaign)
    now = datetime.now(UTC)
    cases = {  # capture time, (lat, lon)
        "in": (now, (36.65, 117.0)),  # Jinan
        "out": (now - timedelta(days=200), (23.13, 113.26)),  # Guangzhou
        "unknown": (None, (None, None)),
    }
    found: dict[str, set[str]] = {}
    for name, (capture, (lat, lon)) in cases.items():
        asset_id = make_probed_asset(school, campaign, submission, jpeg(photo(60)), width=800, height=600)
        with session_scope() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.capture_time, asset.gps_lat, asset.gps_lon = capture, lat, lon
        _run(asset_id, tag_asset)
        with session_scope() as session:
            found[name] = {f.code for f in session.scalars(select(Finding).where(Finding.asset_id == asset_id))}
    assert found["in"] == {"capture_in_week", "gps_in_province", "model_not_configured"}
    assert found["out"] == {"capture_outside_week", "gps_outside_province", "model_not_configured"}
    assert found["unknown"] == {"capture_unknown", "model_not_configured"}


def test_a_failing_detector_is_a_fact_and_the_others_findings_stay(servers: object,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.screening.qr

    def broken(image: Image.Image) -> list[object]:
        raise RuntimeError("zxing crashed")

    monkeypatch.setattr(workers.screening.qr, "find_barcodes", broken)
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    asset_id = make_probed_asset(school, campaign, make_submission(school, campaign), jpeg(qr_with_phone()),
                                 width=900, height=520)
    _run(asset_id, screen_asset)
    with session_scope() as session:
        rows = {(f.detector, f.code): f for f in session.scalars(select(Finding).where(Finding.asset_id == asset_id))}
    assert ("text", "phone") in rows
    assert ("qr", "qr") not in rows
    failed = rows[("qr", "detector_failed")]
    assert failed.type.kind.value == "fact"
    assert failed.detail["error"] == "RuntimeError: zxing crashed"
