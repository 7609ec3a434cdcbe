"""The Alembic migrations produce exactly the schema the models declare (``alembic check``)."""

from __future__ import annotations

from alembic import command

from service.core.embedded import EmbeddedServers
from service.db.migrate import alembic_config


def test_models_and_migrations_agree(servers: EmbeddedServers) -> None:
    command.check(alembic_config(servers.postgres.url))  # raises if autogenerate would emit operations


def test_0004a_maps_old_finding_labels_to_vocabulary_codes(servers: EmbeddedServers) -> None:
    """Rows written before the vocabulary (labels no filter matched, facts shown as risks) keep filtering after it."""
    import json
    import uuid

    from sqlalchemy import select, text

    from service.core.db import session_scope
    from service.db.org import Role
    from service.db.review import Review
    from service.db.screening import Finding
    from tests.support import make_actor, make_campaign, make_ready_asset, make_submission

    asset_id = make_ready_asset(make_submission(make_actor(Role.submitter), make_campaign()), "old.jpg",
                                ocr_text="抖音号 ABC")
    cfg = alembic_config(servers.postgres.url)
    command.downgrade(cfg, "0003")
    old = [("qr", "qr_code", 1.0, {"text": "http://shop"}), ("text", "watermark:douyin", 0.9, {"text": "抖音"}),
           ("nudity", "nudity_score", 0.01, {}), ("safety", "not_configured", 0.0, {}), ("ocr", "ocr_cost", 0.0, {}),
           ("faces", "faces", 1.0, {"count": 3}), ("safety", "violence", 0.02, {"t": None})]
    with session_scope() as session:
        for detector, label, score, detail in old:
            session.execute(text("INSERT INTO finding (id, asset_id, detector, label, score, detail, created_at, "
                                 "updated_at) VALUES (:id, :a, :d, :l, :s, CAST(:detail AS jsonb), now(), now())"),
                            {"id": uuid.uuid4(), "a": asset_id, "d": detector, "l": label, "s": score,
                             "detail": json.dumps(detail)})
        session.execute(text("UPDATE review SET findings = CAST(:f AS jsonb), risk_flags = :flags, risk_score = 1.0 "
                             "WHERE asset_id = :a"),
                        {"a": asset_id, "flags": sorted(label for _, label, _, _ in old),
                         "f": json.dumps([{"detector": d, "label": label, "score": s, "detail": detail}
                                          for d, label, s, detail in old])})
    command.upgrade(cfg, "head")
    with session_scope() as session:
        rows = {f.code: f for f in session.scalars(select(Finding).where(Finding.asset_id == asset_id))}
        assert set(rows) == {"qr", "watermark", "nudity_checked", "model_not_configured", "ocr_time", "faces"}
        assert rows["watermark"].detail == {"text": "抖音", "platform": "douyin"}
        assert rows["model_not_configured"].detail["model"] == "safety"
        assert rows["ocr_time"].detector == "text"
        review = session.get(Review, asset_id)
        assert review is not None
        assert review.risk_flags == ["faces", "qr", "watermark"]
        assert 0.6 < review.risk_score < 0.8  # two high risks; facts and faces count for nothing
        assert {f["code"] for f in review.findings} == set(rows)
        assert "抖音号abc" in review.search_text


def test_0005f_gives_every_existing_campaign_its_own_copy_of_the_seed(servers: EmbeddedServers) -> None:
    """Campaigns made before taxonomies were stored keep tagging as before: the upgrade copies the seed into each."""
    import uuid

    from sqlalchemy import text

    from service.campaigns.seed import seed_document
    from service.core.db import session_scope
    from service.db.campaign import campaign_taxonomy
    from tests.support import make_campaign

    cfg = alembic_config(servers.postgres.url)
    command.downgrade(cfg, "0005a")
    with session_scope() as session:
        old = uuid.uuid4()
        session.execute(text(
            "INSERT INTO campaign (id, year, name, theme, week_start, week_end, upload_opens_at, upload_closes_at, "
            "max_image_bytes, max_video_bytes, org_quota_bytes, min_image_pixels, min_video_height, "
            "min_video_seconds, max_video_seconds, created_at, updated_at) VALUES (:id, 2023, :name, '', "
            "'2023-05-14', '2023-05-20', now(), now() + interval '1 day', 1, 1, 1, 0, 0, 0, 1, now(), now())"),
            {"id": old, "name": f"old-{old}"})
    command.upgrade(cfg, "head")
    seed = seed_document()
    with session_scope() as session:
        stored = campaign_taxonomy(session, old)
        assert [name for name, _ in stored.theme_tags] == [t["name"] for t in seed["theme_tags"]]
        assert len(stored.tags) == sum(len(f["tags"]) for f in seed["facets"])
        assert stored.week_keywords == tuple(seed["week_keywords"])
        assert stored.visual_prompts["技能展示"] == "技能展示"
        # a campaign made afterwards gets the same copy from the service
        assert campaign_taxonomy(session, make_campaign()).tags == stored.tags
