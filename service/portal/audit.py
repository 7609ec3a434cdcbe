"""The download audit trail and the per-outlet usage report."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.db.org import Organization, User
from service.db.portal import Download


class DownloadOut(BaseModel):
    at: datetime
    username: str | None
    org_id: uuid.UUID
    org_name: str
    asset_id: uuid.UUID | None
    rendition: str
    package_id: uuid.UUID | None
    ip: str
    bytes: int


class OutletUsage(BaseModel):
    org_id: uuid.UUID
    org_name: str
    files: int
    assets: int
    packages: int
    bytes: int
    users: int
    last_download_at: datetime | None


def list_downloads(session: Session, *, org_id: uuid.UUID | None, asset_id: uuid.UUID | None,
                   since: datetime | None, limit: int, offset: int) -> list[DownloadOut]:
    query = (select(Download, User.username, Organization.name)
             .join(Organization, Organization.id == Download.org_id)
             .outerjoin(User, User.id == Download.user_id))
    if org_id:
        query = query.where(Download.org_id == org_id)
    if asset_id:
        query = query.where(Download.asset_id == asset_id)
    if since:
        query = query.where(Download.at >= since)
    rows = session.execute(query.order_by(Download.at.desc(), Download.id).limit(limit).offset(offset)).all()
    return [DownloadOut(at=d.at, username=username, org_id=d.org_id, org_name=org_name, asset_id=d.asset_id,
                        rendition=d.rendition, package_id=d.package_id, ip=d.ip, bytes=d.bytes)
            for d, username, org_name in rows]


def outlet_usage(session: Session, *, since: datetime | None = None,
                 until: datetime | None = None) -> list[OutletUsage]:
    is_file = Download.asset_id.is_not(None)
    query = (select(Download.org_id, Organization.name,
                    func.count(Download.id).filter(is_file),
                    func.count(func.distinct(Download.asset_id)),
                    func.count(func.distinct(case((Download.rendition == "package", Download.package_id)))),
                    func.coalesce(func.sum(Download.bytes), 0),
                    func.count(func.distinct(Download.user_id)),
                    func.max(Download.at))
             .join(Organization, Organization.id == Download.org_id)
             .group_by(Download.org_id, Organization.name))
    if since:
        query = query.where(Download.at >= since)
    if until:
        query = query.where(Download.at < until)
    rows = session.execute(query.order_by(func.count(Download.id).desc())).all()
    return [OutletUsage(org_id=r[0], org_name=r[1], files=r[2], assets=r[3], packages=r[4], bytes=int(r[5]),
                        users=r[6], last_download_at=r[7]) for r in rows]
