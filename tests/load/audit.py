"""After the load: is every acknowledged upload an asset whose stored bytes hash right, exactly once, nothing stuck?"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from service.core.db import session_scope
from service.core.storage import get_storage
from service.db.asset import Asset, Job, JobStatus, Rendition
from tests.load.tus import Acknowledged


@dataclass
class Audit:
    acknowledged: int = 0
    found: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged uploads with no asset
    corrupt: list[str] = field(default_factory=list)  # stored original's sha256/size differs from what was sent
    wrong_sha_column: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)  # one upload (sha256) became several unlinked assets
    linked_duplicates: int = 0  # a client re-sent a file after losing the reply: the server linked it (exact_of)
    unacknowledged_assets: int = 0  # completed on the server but the reply was lost (found by sha256)
    stuck_jobs: list[str] = field(default_factory=list)
    duplicate_renditions: list[str] = field(default_factory=list)
    orphan_objects: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    renditions: int = 0

    @property
    def clean_apart_from_backlog(self) -> bool:
        return not (self.lost or self.corrupt or self.duplicated or self.duplicate_renditions)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.corrupt or self.duplicated or self.stuck_jobs or self.duplicate_renditions)


def _sha256_of_object(key: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in get_storage().iter_object(key):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def audit(campaign_id: uuid.UUID, acks: list[Acknowledged], check_objects: bool = True) -> Audit:
    report = Audit(acknowledged=len(acks))
    with session_scope() as session:
        assets = session.scalars(select(Asset).where(Asset.campaign_id == campaign_id)).all()
        by_id = {str(a.id): a for a in assets}
        by_sha: dict[str, list[Asset]] = {}
        for asset in assets:
            sha = asset.sha256 or asset.declared_sha256
            if sha:
                by_sha.setdefault(sha, []).append(asset)
        report.statuses = Counter(a.status.value for a in assets)
        report.reasons = Counter(a.reason_code for a in assets if a.reason_code)
        matched: set[str] = set()
        for ack in acks:
            asset = by_id.get(ack.asset_id or "") or next(iter(by_sha.get(ack.sha256, [])), None)
            if asset is None:
                report.lost.append(f"{ack.filename} ({ack.asset_id or 'no id'})")
                continue
            report.found += 1
            matched.add(str(asset.id))
            twins = by_sha.get(ack.sha256, [])
            if len(twins) > 1:
                first = min(twins, key=lambda a: a.created_at)
                if all(a.exact_of is not None for a in twins if a is not first):
                    report.linked_duplicates += 1
                else:
                    report.duplicated.append(f"{ack.filename}: {[str(a.id) for a in twins]}")
            if asset.sha256 is not None and asset.sha256 != ack.sha256:
                report.wrong_sha_column.append(f"{asset.id}: {asset.sha256} != {ack.sha256}")
            if check_objects:
                stored_sha, stored_size = _sha256_of_object(asset.original_key)
                if stored_sha != ack.sha256 or stored_size != ack.size:
                    report.corrupt.append(f"{asset.id} {ack.filename}: {stored_size} bytes, {stored_sha[:12]}…")
        report.unacknowledged_assets = len(set(by_id) - matched)
        ids = [a.id for a in assets]
        if ids:
            stuck = session.execute(
                select(Job.asset_id, Job.step, Job.status).where(
                    Job.asset_id.in_(ids), Job.status.in_((JobStatus.queued, JobStatus.running)))
            ).all()
            report.stuck_jobs = [f"{asset_id} {step} {status.value}" for asset_id, step, status in stuck]
            dupes = session.execute(
                select(Rendition.asset_id, Rendition.name, func.count()).where(Rendition.asset_id.in_(ids))
                .group_by(Rendition.asset_id, Rendition.name).having(func.count() > 1)
            ).all()
            report.duplicate_renditions = [f"{a} {n} ×{c}" for a, n, c in dupes]
            rows = session.execute(select(Rendition.asset_id, Rendition.key).where(Rendition.asset_id.in_(ids))).all()
            report.renditions = len(rows)
            if check_objects:
                known = {key for _, key in rows}
                with_renditions = {asset_id for asset_id, _ in rows}
                for asset_id in with_renditions:
                    for key in get_storage().list_keys(f"derived/{asset_id}/"):
                        if key not in known and not key.startswith(f"derived/{asset_id}/hls/"):
                            report.orphan_objects.append(key)
    return report
