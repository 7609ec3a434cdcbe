"""Similar shots (issue 18.4): photos of one moment that are not copies, kept apart from duplicate clusters.

The real ``tag`` step with a tiny Chinese-CLIP the test builds and saves itself (random weights: it shows the
plumbing — candidates, threshold, cluster exclusion, basis — not accuracy; ``tests/eval/duplicates.py`` measures a
real model) against a real PostgreSQL with pgvector; the editors' page and queue show the group by name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, text

from models.base import get_model
from models.clip import CLIP_DIRNAME, SIMILAR_SHOT_MIN_COSINE, ZeroShotTagger
from service.core.db import session_scope
from service.db.asset import Asset, AssetStatus
from service.db.org import Role
from service.db.review_index import sync_review_row
from service.db.screening import AssetScreening, Finding, SimilarShot
from tests.duplicate_media import figure, scene
from tests.screening_media import jpeg
from tests.support import Actor, make_actor, make_campaign, make_probed_asset, make_submission, web_login
from tests.tiny_models import build_tiny_chinese_clip
from workers.duplicates import record_similar
from workers.steps.dedupe import dedupe_asset
from workers.steps.tag import tag_asset

PASSWORD = "correct-horse-battery"
MOMENT = datetime(2026, 5, 12, 9, 30, tzinfo=UTC)


@pytest.fixture
def tiny_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    build_tiny_chinese_clip(tmp_path / CLIP_DIRNAME)
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))
    tagger = get_model(ZeroShotTagger)
    tagger._model = None  # a model loaded from another test's folder is not this one
    yield tmp_path
    tagger._model = None


def _photo(actor: Actor, campaign: uuid.UUID, submission: uuid.UUID, image: Image.Image,
           captured: datetime | None) -> uuid.UUID:
    asset_id = make_probed_asset(actor, campaign, submission, jpeg(image, 85), width=image.width,
                                 height=image.height)
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.capture_time = captured
    return asset_id


def _run(step: object, asset_id: uuid.UUID) -> None:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        step(session, asset)  # type: ignore[operator]


def _ready_for_review(*asset_ids: uuid.UUID) -> None:
    with session_scope() as session:
        for asset_id in asset_ids:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.status = AssetStatus.ready
            session.flush()
            sync_review_row(session, asset_id)


def _pairs(basis: str) -> set[frozenset[uuid.UUID]]:
    with session_scope() as session:
        rows = session.execute(select(SimilarShot.asset_id, SimilarShot.other_id)
                               .where(SimilarShot.basis == basis)).all()
    return {frozenset(r) for r in rows}


def _similarity(a: uuid.UUID, b: uuid.UUID) -> float:
    """Cosine similarity of two stored embeddings, computed by pgvector."""
    with session_scope() as session:
        return float(session.execute(text(
            "SELECT 1 - (x.embedding <=> y.embedding) FROM asset_embedding x, asset_embedding y"
            " WHERE x.asset_id = :a AND y.asset_id = :b"), {"a": a, "b": b}).scalar_one())


def test_the_tag_step_offers_visual_similar_shots_of_one_moment_and_keeps_duplicates_out(
    tiny_clip: Path, client: TestClient
) -> None:
    campaign = make_campaign()
    province, school = make_actor(Role.submitter), make_actor(Role.submitter)
    sub_p, sub_s = make_submission(province, campaign), make_submission(school, campaign)
    moment = scene(3)
    original = _photo(province, campaign, sub_p, moment, MOMENT)
    copy = _photo(school, campaign, sub_s, moment.resize((480, 360)), MOMENT + timedelta(minutes=1))
    for asset_id in (original, copy):
        _run(dedupe_asset, asset_id)
    with session_scope() as session:
        clusters = {session.scalar(select(AssetScreening.cluster_id).where(AssetScreening.asset_id == a))
                    for a in (original, copy)}
    assert len(clusters) == 1
    assert None not in clusters
    # another shot of the moment (someone walked in), by another school, two minutes later: a similar shot
    other_shot = _photo(school, campaign, sub_s, figure(moment, 600), MOMENT + timedelta(minutes=2))
    # an unrelated picture in the original's own submission (a candidate, but not alike)
    unrelated = _photo(province, campaign, sub_p, Image.new("RGB", (960, 720), (20, 40, 200)), None)
    # the same picture as the other shot, but taken hours later at another event: not a candidate at all
    hours_later = _photo(school, campaign, make_submission(school, campaign), figure(moment, 600),
                         MOMENT + timedelta(hours=3))
    for asset_id in (original, copy, other_shot, unrelated, hours_later):
        _run(tag_asset, asset_id)

    # what keeps a pair out below is the rule named, not a low similarity: the copy and the later picture are
    # as alike as the other shot; the unrelated picture is not
    assert _similarity(original, copy) >= SIMILAR_SHOT_MIN_COSINE
    assert _similarity(original, hours_later) >= SIMILAR_SHOT_MIN_COSINE
    assert _similarity(original, unrelated) < SIMILAR_SHOT_MIN_COSINE
    visual = _pairs("visual")
    assert frozenset({original, other_shot}) in visual
    assert frozenset({original, copy}) not in visual  # duplicates stay duplicates, never similar shots
    assert not [p for p in visual if unrelated in p]
    assert not [p for p in visual if hours_later in p]  # outside the moment's window and submission
    with session_scope() as session:
        similarity = session.scalar(select(SimilarShot.similarity).where(
            SimilarShot.asset_id == original, SimilarShot.other_id == other_shot, SimilarShot.basis == "visual"))
    assert similarity is not None
    assert similarity >= SIMILAR_SHOT_MIN_COSINE

    # the tag step run again replaces its own rows and leaves the hash-based ones alone; a pair recorded before its
    # two photos joined one duplicate cluster (here: the copy) is a duplicate, so it is not shown or counted
    with session_scope() as session:
        record_similar(session, original, {other_shot: 40, copy: 36})
    _run(tag_asset, original)
    assert frozenset({original, other_shot}) in _pairs("visual")
    assert frozenset({original, other_shot}) in _pairs("hash")

    editor = make_actor(Role.editor, password=PASSWORD)
    api = client.get(f"/api/v1/assets/{original}/similar", headers=editor.headers)
    assert api.status_code == 200
    listed = {(s["asset_id"], s["basis"]): s for s in api.json()["similar"]}
    assert set(listed) == {(str(other_shot), "hash"), (str(other_shot), "visual")}
    assert listed[(str(other_shot), "visual")]["org_name"] == school.org_name
    assert listed[(str(other_shot), "hash")]["distance"] == 40
    assert client.get(f"/api/v1/assets/{original}/similar", headers=province.headers).status_code == 403

    _ready_for_review(original, copy, other_shot, unrelated)
    web_login(client, editor.username, PASSWORD)
    page = client.get(f"/review/assets/{original}").text
    section = page[page.index('id="similar-shots"'):]
    section = section[:section.index("</section>")]
    assert "相似镜头（1）" in section
    assert school.org_name in section
    assert province.org_name in section
    assert f'href="/review/assets/{other_shot}"' in section
    assert "画面内容相近" in section
    assert "连拍/同一场景" in section
    assert ">visual<" not in section
    assert ">hash<" not in section
    assert "分辨率 960×720" in section
    # the suggested best: both 960×720, no quality score yet, so the earlier upload (the original) is marked
    tiles = {chunk[:36]: chunk for chunk in section.split('data-asset-id="')[1:]}
    assert set(tiles) == {str(original), str(other_shot)}
    assert [a for a, tile in tiles.items() if "similar-best" in tile] == [str(original)]
    assert str(copy) not in section  # the duplicate is in 重复组, not among similar shots
    queue = client.get(f"/review?campaign_id={campaign}").text
    assert "相似镜头 1" in queue
    client.cookies.set("lang", "en")
    english = client.get(f"/review/assets/{original}").text
    assert "Similar shots (1)" in english
    assert "Similar picture content" in english
    assert "Burst / same scene" in english


def test_without_a_model_nothing_visual_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    servers: object) -> None:
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(tmp_path))  # an empty folder: no chinese-clip in it
    campaign = make_campaign()
    school = make_actor(Role.submitter)
    submission = make_submission(school, campaign)
    first = _photo(school, campaign, submission, scene(3), MOMENT)
    second = _photo(school, campaign, submission, scene(3), MOMENT)
    for asset_id in (first, second):
        _run(tag_asset, asset_id)
    assert not [p for p in _pairs("visual") if first in p or second in p]
    with session_scope() as session:
        codes = set(session.scalars(select(Finding.label).where(Finding.asset_id == first)))
    assert "model_not_configured" in codes
