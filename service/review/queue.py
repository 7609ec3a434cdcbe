"""The review queue: filters, sorts, keyset pagination and full-text search over the ``review`` read model.

Search works for Chinese through pg_trgm: every term of ≥ 3 characters is a ``LIKE '%term%'`` answered by the
trigram GIN index on ``search_text``. A trigram index cannot answer 1–2 character terms (e.g. 「焊接」), so those match
a tag of exactly that name or, failing that, a substring scan bounded by the other filters and the page size.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any

from psycopg.errors import QueryCanceled
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, defer

from service.consent.service import effective_state_sql, faces_without_consent_sql, has_faces_sql
from service.core.bounds import ascii_int, date_in_range
from service.core.errors import Problem
from service.core.findings import FILTERS, UnknownFinding, codes_for_filter
from service.db.asset import Asset
from service.db.consent import ConsentState
from service.db.org import Organization, User
from service.db.review import Review
from service.db.review_index import search_form
from service.hierarchy.gate import asset_at_ministry

SORTS: dict[str, tuple[str, bool]] = {  # name -> (column, descending)
    "newest": ("uploaded_at", True),
    "oldest": ("uploaded_at", False),
    "quality": ("quality_score", True),
    "risk": ("risk_score", True),
}
STATUSES = ("pending", "approved", "rejected", "featured", "returned", "all")


@dataclass
class QueueFilter:
    """Everything the queue page and API can filter by (also what a saved filter stores)."""

    campaign_id: uuid.UUID | None = None
    region: str | None = None
    org_id: uuid.UUID | None = None
    category: str | None = None
    kind: str | None = None
    status: str = "pending"
    tag: str | None = None
    finding: str | None = None
    cluster_id: uuid.UUID | None = None
    in_cluster: bool | None = None
    captured_from: date | None = None
    captured_to: date | None = None
    uploaded_from: date | None = None
    uploaded_to: date | None = None
    q: str | None = None
    sort: str = "newest"
    consent: str | None = None  # faces_missing (faces found, consent missing) | missing | on_file | not_needed
    extra: dict[str, Any] = field(default_factory=dict)


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_condition(q: str) -> ColumnElement[bool] | None:
    terms = [t for t in search_form(q).split() if t][:8]
    conditions: list[ColumnElement[bool]] = []
    for term in terms:
        if len(term) >= 3:
            conditions.append(Review.search_text.like(_like(term), escape="\\"))
        else:
            conditions.append(or_(Review.tag_names.contains([term]),
                                  Review.search_text.like(_like(term), escape="\\")))
    return and_(*conditions) if conditions else None


def finding_codes(filter_code: str) -> tuple[str, ...]:
    """The finding codes one ``finding=`` filter matches (``qr`` → QR codes and barcodes); 422 for an unknown one."""
    try:
        return codes_for_filter(filter_code)
    except UnknownFinding:
        raise Problem(422, "bad_filter", f"未知的检测结果筛选：{filter_code}",
                      f"unknown finding filter {filter_code!r}; use {', '.join(f.code for f in FILTERS)}") from None


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def apply_filters(query: Select[Any], f: QueueFilter) -> Select[Any]:
    # Campaigns with pre-review: members' files wait for their province/committee (service.hierarchy.gate).
    query = query.where(asset_at_ministry(Review.campaign_id, Review.org_id, Review.asset_id))
    if f.status not in STATUSES:
        raise Problem(422, "bad_filter", "未知的审核状态", f"unknown review status {f.status!r}")
    if f.status != "all":
        query = query.where(Review.review_status == f.status)
    if any(day is not None and not date_in_range(day)
           for day in (f.captured_from, f.captured_to, f.uploaded_from, f.uploaded_to)):
        raise Problem(422, "bad_filter", "日期超出范围", "a date filter is out of range (years 1900–2200)")
    for column, value in (("campaign_id", f.campaign_id), ("org_id", f.org_id), ("category", f.category),
                          ("kind", f.kind), ("cluster_id", f.cluster_id)):
        if value:
            query = query.where(getattr(Review, column) == value)
    if f.region:
        if ascii_int(f.region) is None or len(f.region) not in (2, 4, 6):
            raise Problem(422, "bad_filter", "地区代码应为 2、4 或 6 位数字", "region must be a 2, 4 or 6 digit code")
        # A range instead of LIKE 'xx%': the btree index answers it under any collation.
        upper = str(int(f.region) + 1).zfill(len(f.region))
        query = query.where(Review.region_code >= f.region, Review.region_code < upper)
    if f.tag:
        query = query.where(Review.tag_names.contains([f.tag]))
    if f.finding:
        query = query.where(Review.risk_flags.overlap(list(finding_codes(f.finding))))
    if f.in_cluster is not None:
        query = query.where(Review.cluster_id.is_not(None) if f.in_cluster else Review.cluster_id.is_(None))
    if f.captured_from:
        query = query.where(Review.capture_time >= _day_start(f.captured_from))
    if f.captured_to:
        query = query.where(Review.capture_time < _day_start(f.captured_to + timedelta(days=1)))
    if f.uploaded_from:
        query = query.where(Review.uploaded_at >= _day_start(f.uploaded_from))
    if f.uploaded_to:
        query = query.where(Review.uploaded_at < _day_start(f.uploaded_to + timedelta(days=1)))
    if f.q and (condition := search_condition(f.q)) is not None:
        query = query.where(condition)
    if f.consent:
        query = query.where(consent_condition(f.consent))
    return query


CONSENT_FILTERS = ("faces_missing", *(s.value for s in ConsentState))


def consent_condition(value: str) -> ColumnElement[bool]:
    """``faces_missing``: faces found by screening and no consent on file; else one effective consent state."""
    if value == "faces_missing":
        return Review.asset_id.in_(select(Asset.id).where(faces_without_consent_sql()))
    if value not in CONSENT_FILTERS:
        raise Problem(422, "bad_filter", "未知的授权筛选", f"unknown consent filter {value!r}")
    return Review.asset_id.in_(select(Asset.id).where(effective_state_sql() == value))


def encode_cursor(review: Review, sort: str) -> str:
    column, _ = SORTS[sort]
    value = getattr(review, column)
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, str(review.asset_id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    try:
        value, asset_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        column, _ = SORTS[sort]
        parsed = datetime.fromisoformat(value) if column == "uploaded_at" else float(value)
        return parsed, uuid.UUID(asset_id)
    except (ValueError, TypeError, KeyError) as exc:
        raise Problem(422, "bad_cursor", "分页参数无效，请从第一页重新开始", "invalid cursor; start again") from exc


@dataclass
class QueueRow:
    review: Review
    filename: str
    caption: str
    org_name: str
    claimed_by_name: str | None
    consent_state: str = ConsentState.missing.value  # effective: the file's own, else its submission's checkbox
    shows_minors: bool = False
    has_faces: bool = False

    @property
    def needs_consent(self) -> bool:
        """Faces found and consent missing: featuring or releasing asks the editor to confirm."""
        return self.has_faces and self.consent_state == ConsentState.missing.value


def queue_page(
    session: Session, *, f: QueueFilter, limit: int, cursor: str | None
) -> tuple[list[QueueRow], str | None]:
    """One page of the queue in the filter's sort order, and the cursor of the next page (None at the end)."""
    if f.sort not in SORTS:
        raise Problem(422, "bad_filter", "未知的排序方式", f"unknown sort {f.sort!r}; use {', '.join(SORTS)}")
    column_name, descending = SORTS[f.sort]
    column = getattr(Review, column_name)
    # The page is chosen on narrow rows (id + sort key) first; full rows are then fetched for those 48 ids only.
    query = apply_filters(select(Review.asset_id, column), f)
    if cursor:
        value, after_id = _decode_cursor(cursor, f.sort)
        key, bound = tuple_(column, Review.asset_id), tuple_(value, after_id)
        query = query.where(key < bound if descending else key > bound)
    order = (column.desc(), Review.asset_id.desc()) if descending else (column.asc(), Review.asset_id.asc())
    page = query.order_by(*order).limit(limit + 1).subquery()
    claimer = select(User.username).where(User.id == Review.claimed_by).correlate(Review).scalar_subquery()
    rows = session.execute(
        select(Review, Asset.original_filename, Asset.caption, Organization.name, claimer, effective_state_sql(),
               Asset.shows_minors, has_faces_sql(Asset.id))
        .join(page, page.c.asset_id == Review.asset_id)
        .join(Asset, Asset.id == Review.asset_id)
        .join(Organization, Organization.id == Review.org_id)
        .options(defer(Review.search_text), defer(Review.ocr_text), defer(Review.findings), defer(Review.tags))
        .order_by(*((page.c[column_name].desc(), page.c.asset_id.desc()) if descending
                    else (page.c[column_name].asc(), page.c.asset_id.asc())))
    ).all()
    now = datetime.now(UTC)
    items = [
        QueueRow(review=r[0], filename=r[1], caption=r[2], org_name=r[3],
                 claimed_by_name=r[4] if r[0].claimed_until and r[0].claimed_until > now else None,
                 consent_state=str(r[5]), shows_minors=bool(r[6]), has_faces=bool(r[7]))
        for r in rows
    ]
    next_cursor = encode_cursor(items[limit - 1].review, f.sort) if len(items) > limit else None
    return items[:limit], next_cursor


#: The queue header counts up to here and then says "10000+": an exact count visits every matching row (2.4 s for
#: the two counts of a 1,000,000-asset campaign, docs/PERFORMANCE.md "Review queue"); the dashboard has the totals.
QUEUE_COUNT_CAP = 10_000
#: And spends at most this on both counts together: a filter no index narrows reads many rows to find the cap's worth
#: (videos by quality: page p95 865 ms at 1,000,000 assets with the cap alone); past it the header says "not counted".
QUEUE_COUNT_BUDGET_MS = 150


@dataclass
class QueueCounts:
    total: int | None  # everything the filter matches, whatever its decision (at most the cap; None: not counted)
    remaining: int | None  # of those, still awaiting a decision
    total_capped: bool = False  # more than ``total`` match
    remaining_capped: bool = False

    @property
    def counted(self) -> bool:
        return self.total is not None and self.remaining is not None

    @property
    def total_text(self) -> str:
        return f"{self.total}+" if self.total_capped else str(self.total)

    @property
    def remaining_text(self) -> str:
        return f"{self.remaining}+" if self.remaining_capped else str(self.remaining)


def queue_counts(session: Session, *, f: QueueFilter, cap: int | None = None) -> QueueCounts:
    """Totals for the queue's header: the filter's matches in every status, and how many still wait, each counted
    up to ``cap`` (default :data:`QUEUE_COUNT_CAP`; the rows past it are never read) within
    :data:`QUEUE_COUNT_BUDGET_MS` (None when it ran out)."""
    cap = QUEUE_COUNT_CAP if cap is None else cap
    if f.q and any(len(t) < 3 for t in search_form(f.q).split()):
        # a one- or two-character word has no trigram to look up: counting it reads every row's text, and the
        # GIN scan behind it answers a cancel only after 1.5–1.9 s at 1,000,000 assets (measured)
        return QueueCounts(None, None)

    budget = session.scalar(text("SELECT current_setting('statement_timeout')"))  # restored after each count
    deadline = monotonic() + QUEUE_COUNT_BUDGET_MS / 1000

    def bounded(statement: Select[*tuple[int, ...]]) -> tuple[int, ...] | None:
        left_ms = round((deadline - monotonic()) * 1000)
        if left_ms < 1:
            return None
        try:
            with session.begin_nested():  # a cancelled count rolls back to here, not the page's transaction
                session.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(left_ms)})
                row = tuple(session.execute(statement).one())
                session.execute(text("SELECT set_config('statement_timeout', :was, true)"), {"was": budget})
        except OperationalError as exc:
            if not isinstance(exc.orig, QueryCanceled):
                raise
            return None
        return row

    # one scan of the first cap + 1 matches gives both counts whenever they are fewer than the cap
    pending = (Review.review_status == "pending").label("pending")
    scan = apply_filters(select(Review.asset_id).add_columns(pending), replace(f, status="all"))
    matching = scan.limit(cap + 1).subquery()
    both = bounded(select(func.count(), func.count().filter(matching.c.pending)).select_from(matching))
    if both is None:
        return QueueCounts(None, None)
    total, total_capped = min(both[0], cap), both[0] > cap
    if not total_capped:
        return QueueCounts(total, both[1])
    # past the cap the scan stopped early: the ones still waiting are counted on their own, in the budget's rest
    waiting = apply_filters(select(Review.asset_id), replace(f, status="pending")).limit(cap + 1).subquery()
    alone = bounded(select(func.count()).select_from(waiting))
    if alone is None:
        return QueueCounts(None, None)
    remaining, remaining_capped = min(alone[0], cap), alone[0] > cap
    return QueueCounts(total, remaining, total_capped, remaining_capped)
