"""/api/v1/reports: the week's summary (活动周总结) and outlet usage, as JSON, CSV or XLSX (editors, admins)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from service.core.csvfile import XLSX, Format
from service.core.deps import SessionDep, StaffDep
from service.core.storage import content_disposition
from service.portal import audit
from service.reports import export, findings
from service.reports.summary import COLUMNS, Grouping, totals, week_summary

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

def _table(name: str, fmt: Format, headers: list[str], rows: list[list[Any]], payload: Any) -> Response:
    if fmt == Format.json:
        return JSONResponse(payload)
    if fmt == Format.csv:
        body, mime, ext = export.to_csv(headers, rows), "text/csv; charset=utf-8", "csv"
    else:
        body, mime, ext = export.to_xlsx(name, headers, rows), XLSX, "xlsx"
    return Response(body, media_type=mime, headers={"Content-Disposition": content_disposition(f"{name}.{ext}")})


@router.get("/week-summary", response_class=Response)
def week_summary_report(principal: StaffDep, session: SessionDep, campaign_id: uuid.UUID | None = None,
                        group: Grouping = Grouping.region, format: Format = Format.json) -> Response:  # noqa: A002
    """Per province (``group=region``) or per organisation: submissions, assets, approved, featured, downloads."""
    rows = week_summary(session, campaign_id=campaign_id, group=group)
    total = totals(rows)
    fields = [field for field, _ in COLUMNS]
    table = [[getattr(r, f) for f in fields] for r in [*rows, total]]
    payload = {"group": group.value, "campaign_id": str(campaign_id) if campaign_id else None,
               "rows": [asdict(r) for r in rows], "total": asdict(total)}
    return _table(f"活动周总结-{group.value}", format, [label for _, label in COLUMNS], table, payload)


@router.get("/outlet-usage", response_class=Response)
def outlet_usage_report(principal: StaffDep, session: SessionDep, since: datetime | None = None,
                        until: datetime | None = None, format: Format = Format.json) -> Response:  # noqa: A002
    usage = audit.outlet_usage(session, since=since, until=until)
    headers = ["媒体 Outlet", "下载文件 Files", "素材数 Assets", "打包 Packages", "字节 Bytes", "用户 Users",
               "最近下载 Last download"]
    rows = [[u.org_name, u.files, u.assets, u.packages, u.bytes, u.users,
             u.last_download_at.isoformat() if u.last_download_at else ""] for u in usage]
    return _table("媒体使用情况", format, headers, rows, [u.model_dump(mode="json") for u in usage])


@router.get("/findings", response_class=Response)
def findings_report(principal: StaffDep, session: SessionDep, campaign_id: uuid.UUID | None = None,
                    format: Format = Format.json) -> Response:  # noqa: A002
    """Files per finding filter (QR code, phone number, watermark …) and the editors' decisions on them."""
    rows = findings.finding_counts(session, campaign_id=campaign_id)
    table = [[f"{r.name} {r.name_en}" if field == "name" else getattr(r, field) for field, _ in findings.COLUMNS]
             for r in rows]
    payload = {"campaign_id": str(campaign_id) if campaign_id else None, "rows": [asdict(r) for r in rows]}
    return _table("检测结果统计", format, [label for _, label in findings.COLUMNS], table, payload)
