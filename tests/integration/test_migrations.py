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
