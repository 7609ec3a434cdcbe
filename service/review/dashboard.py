"""The editors' dashboard: counts by region, organisation, day, status and category; pipeline backlog; slow steps;
and the per-organisation table exported as CSV/XLSX for the week's summary report."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from openpyxl import Workbook
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.core.csvfile import csv_bytes, safe_cell
from service.core.kv import get_redis
from service.core.queues import QUEUES
from service.db.asset import Asset, Job, JobStatus
from service.db.org import Organization, OrgKind
from service.db.review import Review
from service.db.submission import Submission
from service.reports.findings import finding_counts
from service.review.regions import province_name

Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _scoped(query: Query, campaign_id: uuid.UUID | None, column: Any) -> Query:
    return query.where(column == campaign_id) if campaign_id else query


def counts(session: Session, *, campaign_id: uuid.UUID | None) -> dict[str, list[dict[str, Any]]]:
    province = func.substr(Review.region_code, 1, 2)
    by_region = session.execute(_scoped(
        select(province, func.count()).group_by(province).order_by(func.count().desc()), campaign_id,
        Review.campaign_id)).all()
    by_org = session.execute(_scoped(
        select(Organization.name, func.count()).select_from(Review)
        .join(Organization, Organization.id == Review.org_id)
        .group_by(Organization.name).order_by(func.count().desc()).limit(50), campaign_id, Review.campaign_id)).all()
    day = func.date_trunc("day", Review.uploaded_at)
    by_day = session.execute(_scoped(
        select(day, func.count()).group_by(day).order_by(day), campaign_id, Review.campaign_id)).all()
    by_review = session.execute(_scoped(
        select(Review.review_status, func.count()).group_by(Review.review_status), campaign_id,
        Review.campaign_id)).all()
    by_pipeline = session.execute(_scoped(
        select(Asset.status, func.count()).group_by(Asset.status), campaign_id, Asset.campaign_id)).all()
    by_category = session.execute(_scoped(
        select(Review.category, func.count()).group_by(Review.category).order_by(func.count().desc()), campaign_id,
        Review.campaign_id)).all()
    by_kind = session.execute(_scoped(
        select(Review.kind, func.count()).group_by(Review.kind), campaign_id, Review.campaign_id)).all()
    return {
        "kind": [{"kind": k, "count": n} for k, n in by_kind],
        "region": [{"code": c, "name": province_name(c), "count": n} for c, n in by_region],
        "organisation": [{"name": name, "count": n} for name, n in by_org],
        "day": [{"day": d.date().isoformat(), "count": n} for d, n in by_day],
        "review_status": [{"status": s, "count": n} for s, n in by_review],
        "pipeline_status": [{"status": str(s.value if hasattr(s, "value") else s), "count": n} for s, n in by_pipeline],
        "category": [{"category": c, "count": n} for c, n in by_category],
        "finding": [{"code": r.code, "name": r.name, "name_en": r.name_en, "count": r.flagged, "pending": r.pending}
                    for r in finding_counts(session, campaign_id=campaign_id)],
    }


def silent_organisations(session: Session, *, campaign_id: uuid.UUID | None, limit: int = 200) -> list[Organization]:
    """Reporting organisations (provinces, committees, schools) with no submission yet (in the campaign, if given)."""
    submitted = select(Submission.org_id)
    if campaign_id:
        submitted = submitted.where(Submission.campaign_id == campaign_id)
    return list(session.scalars(
        select(Organization)
        .where(Organization.kind.in_((OrgKind.province, OrgKind.committee, OrgKind.school)),
               Organization.id.not_in(submitted))
        .order_by(Organization.region_code, Organization.name).limit(limit)).all())


def backlog() -> list[dict[str, Any]]:
    """Messages waiting per Celery queue (Redis list length); None when the broker does not answer."""
    client = get_redis()
    rows: list[dict[str, Any]] = []
    for queue in QUEUES:
        try:
            rows.append({"queue": queue, "waiting": int(client.llen(queue))})
        except Exception:  # the dashboard must render while the broker is down
            rows.append({"queue": queue, "waiting": None})
    return rows


def slowest_steps(session: Session, *, hours: int = 24) -> list[dict[str, Any]]:
    since = datetime.now(UTC) - timedelta(hours=hours)
    seconds = func.extract("epoch", Job.finished_at - Job.started_at)
    rows = session.execute(
        select(Job.step, func.count(), func.avg(seconds), func.percentile_cont(0.95).within_group(seconds),
               func.max(seconds))
        .where(Job.status == JobStatus.done, Job.finished_at >= since, Job.started_at.is_not(None))
        .group_by(Job.step).order_by(func.avg(seconds).desc())
    ).all()
    return [{"step": s, "jobs": n, "avg_s": round(float(a or 0), 2), "p95_s": round(float(p or 0), 2),
             "max_s": round(float(m or 0), 2)} for s, n, a, p, m in rows]


EXPORT_COLUMNS = ("地区 region", "单位 organisation", "上传 uploaded", "处理完成 ready", "不合格 invalid",
                  "失败 failed", "待审 pending", "采用 approved", "精选 featured", "不采用 rejected", "退回 returned")


def export_rows(session: Session, *, campaign_id: uuid.UUID | None) -> list[list[Any]]:
    """One row per organisation: what it uploaded and what became of it (the 活动周总结 figures)."""
    def n(condition: Any) -> Any:
        return func.count().filter(condition)

    query = (
        select(Organization.region_code, Organization.name, func.count(),
               n(Asset.status == "ready"), n(Asset.status == "rejected_invalid"), n(Asset.status == "failed"),
               n((Asset.status == "ready") & (Asset.review_status == "pending")),
               n(Asset.review_status == "approved"), n(Asset.review_status == "featured"),
               n(Asset.review_status == "rejected"), n(Asset.review_status == "returned"))
        .select_from(Asset).join(Organization, Organization.id == Asset.org_id)
        .group_by(Organization.region_code, Organization.name)
        .order_by(Organization.region_code, Organization.name)
    )
    rows = session.execute(_scoped(query, campaign_id, Asset.campaign_id)).all()
    return [[province_name(r[0]), *r[1:]] for r in rows]


def to_csv(rows: list[list[Any]]) -> bytes:
    return csv_bytes(EXPORT_COLUMNS, rows)


def to_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "活动周素材统计"
    sheet.append(list(EXPORT_COLUMNS))
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
