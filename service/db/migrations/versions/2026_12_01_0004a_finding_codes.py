"""findings speak the vocabulary: old detector labels become vocabulary codes, queue flags and risk scores recomputed

Rows written before the findings vocabulary (``service.core.findings``) carry labels no filter matched (``qr_code``,
``watermark:douyin``) and internal facts that showed as risks (``nudity_score``, ``ocr_cost``, ``not_configured``).
This data migration maps them to codes (the platform of a watermark and the missing model go into ``detail``), then
recomputes each review row's findings, flags and risk score with the vocabulary, and refreshes the search text
(NFKC, OCR text also without spaces) so existing instances keep filtering and searching. No schema change.

Revision ID: 0004a
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004a"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Labels renamed as they were (the rest either kept their name or are handled by the statements below).
RENAMED = {"qr_code": "qr", "nudity_score": "nudity_checked", "ocr_cost": "ocr_time",
           "not_configured": "model_not_configured", "gps_inside_province": "gps_in_province"}
#: The model each detector's old ``not_configured`` finding was about.
MODELS = {"safety": "safety", "visual": "chinese-clip"}
BATCH = 1000


def _review_rows() -> None:
    """Each review row's findings again from its (now mapped) finding rows, as ``record_screening`` writes them."""
    from service.core.findings import FINDINGS, finding_type, queue_flags, risk_score

    bind = op.get_bind()
    after = "00000000-0000-0000-0000-000000000000"
    while True:
        rows = bind.execute(sa.text(
            "SELECT asset_id, cluster_id FROM review WHERE asset_id > CAST(:after AS uuid) ORDER BY asset_id "
            "LIMIT :n"), {"after": after, "n": BATCH}).all()
        if not rows:
            return
        found: dict[Any, list[dict[str, Any]]] = {asset_id: [] for asset_id, _ in rows}
        for asset_id, detector, code, score, detail in bind.execute(sa.text(
                "SELECT asset_id, detector, label, score, detail FROM finding WHERE asset_id = ANY(:ids) "
                "ORDER BY asset_id, id"), {"ids": list(found)}):
            if code in FINDINGS:  # a label no detector publishes any more stays off the queue
                kind = finding_type(code)
                found[asset_id].append({"detector": detector, "code": code, "label": code, "kind": kind.kind.value,
                                        "severity": int(kind.severity), "score": score, "detail": detail or {}})
        for asset_id, cluster_id in rows:
            codes = [f["code"] for f in found[asset_id]] + (["duplicate"] if cluster_id else [])
            bind.execute(sa.text("UPDATE review SET findings = CAST(:f AS jsonb), risk_flags = :flags, "
                                 "risk_score = :score WHERE asset_id = :id"),
                         {"f": json.dumps(found[asset_id], ensure_ascii=False), "flags": queue_flags(codes),
                          "score": risk_score(codes), "id": asset_id})
        after = str(rows[-1][0])


def upgrade() -> None:
    op.execute("UPDATE finding SET detail = COALESCE(detail, '{}'::jsonb) || jsonb_build_object('platform', "
               "substr(label, 11)), label = 'watermark' WHERE label LIKE 'watermark:%'")
    for detector, model in MODELS.items():
        op.execute(sa.text("UPDATE finding SET detail = COALESCE(detail, '{}'::jsonb) || jsonb_build_object("
                           "'detector', detector, 'model', CAST(:model AS text)) "
                           "WHERE label = 'not_configured' AND detector = :detector")
                   .bindparams(model=model, detector=detector))
    op.execute("UPDATE finding SET detector = 'text' WHERE detector = 'ocr'")  # OCR time comes from the text detector
    # The violence classifier's background scores were published as findings; below the flag they are not findings.
    op.execute("DELETE FROM finding WHERE detector = 'safety' AND label <> 'not_configured' AND score < 0.5")
    for old, new in RENAMED.items():
        op.execute(sa.text("UPDATE finding SET label = :new WHERE label = :old").bindparams(new=new, old=old))
    _review_rows()
    op.execute("UPDATE review SET search_text = left(lower(normalize(search_text || ' ' || "
               "regexp_replace(ocr_text, '\\s+', '', 'g'), NFKC)), 48000) WHERE ocr_text <> ''")


def downgrade() -> None:
    # Finding rows get their old labels back; review rows keep their codes until their asset is screened again.
    for old, new in RENAMED.items():
        op.execute(sa.text("UPDATE finding SET label = :old WHERE label = :new").bindparams(new=new, old=old))
    op.execute("UPDATE finding SET detector = 'ocr' WHERE label = 'ocr_cost'")
    op.execute("UPDATE finding SET label = 'watermark:' || COALESCE(detail->>'platform', 'unknown') "
               "WHERE label = 'watermark'")
