"""The queue's read model: entering review when ready, idempotent refreshes, screening summaries merged."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from service.core.db import session_scope
from service.db.asset import Asset, AssetStatus
from service.db.org import Role
from service.db.review import Review
from service.db.review_index import record_screening, sync_review_row
from tests.support import make_actor, make_campaign, make_ready_asset, make_submission


def test_sync_twice_gives_one_row_and_keeps_decisions_and_editor_tags() -> None:
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign(), "技能展示"), "a.jpg",
                                tags=[{"name": "开放校园", "source": "ocr", "score": 0.7}])
    with session_scope() as session:
        review = session.get(Review, asset_id)
        assert review is not None
        review.tags = [*review.tags, {"name": "志愿服务", "source": "editor", "score": 1.0}]
        review.tag_names = [*review.tag_names, "志愿服务"]
        review.version = 3
    for _ in range(2):
        with session_scope() as session:
            sync_review_row(session, asset_id)
            record_screening(session, asset_id, tags=[{"name": "志愿服务", "source": "visual", "score": 0.4}],
                             quality_score=0.8)
    with session_scope() as session:
        assert session.scalar(select(func.count()).where(Review.asset_id == asset_id)) == 1
        review = session.get(Review, asset_id)
        assert review is not None
        assert review.version == 3
        assert {t["name"]: t["source"] for t in review.tags} == {"开放校园": "ocr", "志愿服务": "editor"}
        assert review.quality_score == 0.8
        assert "技能展示" in review.search_text


def test_assets_enter_review_only_when_ready() -> None:
    submitter = make_actor(Role.submitter)
    asset_id = make_ready_asset(make_submission(submitter, make_campaign()), "b.jpg")
    with session_scope() as session:
        session.delete(session.get(Review, asset_id))
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status = AssetStatus.processing
    with session_scope() as session:
        assert sync_review_row(session, asset_id) is None
        assert sync_review_row(session, uuid.uuid4()) is None
