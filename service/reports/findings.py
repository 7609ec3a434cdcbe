"""Screening findings per queue filter (二维码, 电话号码, 平台水印 …): how many files each filter flags and what the
editors decided about them. Names, order and the codes behind each filter come from the findings vocabulary."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.core.findings import FILTERS, codes_for_filter
from service.db.review import Review

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "检测结果 Finding"), ("code", "代码 Code"), ("flagged", "素材数 Files"), ("pending", "待审 Pending"),
    ("approved", "采用 Approved"), ("featured", "精选 Featured"), ("rejected", "不采用 Rejected"),
    ("returned", "退回 Returned"),
)
STATUSES = ("pending", "approved", "featured", "rejected", "returned")


@dataclass(frozen=True)
class FindingRow:
    code: str
    name: str
    name_en: str
    flagged: int
    pending: int
    approved: int
    featured: int
    rejected: int
    returned: int


def finding_counts(session: Session, *, campaign_id: uuid.UUID | None) -> list[FindingRow]:
    """One row per queue filter, in the vocabulary's order (one scan of ``review`` for all of them)."""
    measures = []
    for f in FILTERS:
        flagged = Review.risk_flags.overlap(list(codes_for_filter(f.code)))
        measures.append(func.count().filter(flagged))
        measures += [func.count().filter(flagged, Review.review_status == status) for status in STATUSES]
    query = select(*measures).select_from(Review)
    if campaign_id is not None:
        query = query.where(Review.campaign_id == campaign_id)
    values = [int(v or 0) for v in session.execute(query).one()]
    width = 1 + len(STATUSES)
    return [FindingRow(f.code, f.name_zh, f.name_en, *values[i * width:(i + 1) * width])
            for i, f in enumerate(FILTERS)]
