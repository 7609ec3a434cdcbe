"""Administration: organisations, users, tokens, and the demo data set (campaigns: ``service.campaigns.service``,
re-exported here for the CLI)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns.service import create_campaign as create_campaign  # re-exported for the CLI and tests
from service.core.beijing import BEIJING
from service.core.bounds import ascii_int
from service.core.errors import Problem
from service.core.passwords import PasswordRejected, check_password
from service.core.security import hash_password, issue_token, normalize_username
from service.db.campaign import Campaign
from service.db.org import Organization, OrgKind, Role, User
from service.db.submission import Submission
from service.hierarchy.tree import check_parent_kind


class AdminError(ValueError):
    """A rejected admin command, with a message for the operator."""


def create_org(
    session: Session, *, name: str, kind: OrgKind, region_code: str | None = None, parent: str | None = None
) -> Organization:
    """Create an organisation; ``parent`` is the parent's name or id."""
    name = name.strip()
    if not name:
        raise AdminError("organisation name is empty")
    if region_code is not None and not (len(region_code) == 6 and ascii_int(region_code) is not None):
        raise AdminError(f"region code {region_code!r} is not a 6-digit GB/T 2260 code")
    if session.scalar(select(Organization).where(Organization.name == name)):
        raise AdminError(f"organisation {name!r} exists already")
    parent_org = find_org(session, parent) if parent else None
    if parent_org is not None:
        try:
            check_parent_kind(kind, parent_org.kind)
        except Problem as problem:
            raise AdminError(problem.detail) from None
    org = Organization(name=name, kind=kind, region_code=region_code, parent_id=parent_org.id if parent_org else None)
    session.add(org)
    session.flush()
    return org


def find_org(session: Session, ref: str) -> Organization:
    org = None
    try:
        org = session.get(Organization, uuid.UUID(ref))
    except ValueError:
        org = session.scalar(select(Organization).where(Organization.name == ref.strip()))
    if org is None:
        raise AdminError(f"no organisation {ref!r}")
    return org


@dataclass
class ImportResult:
    created: int
    skipped: int
    errors: list[str]


def import_orgs(session: Session, text: str) -> ImportResult:
    """Import ``region_code,kind,name,parent`` rows (header required); parents may appear later in the file."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    required = {"region_code", "kind", "name"}
    if reader.fieldnames is None or not required <= {f.strip() for f in reader.fieldnames}:
        raise AdminError("CSV needs a header with region_code,kind,name[,parent]")
    rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    result = ImportResult(0, 0, [])
    pending = list(enumerate(rows, start=2))
    while pending:
        progressed = False
        retry: list[tuple[int, dict[str, str]]] = []
        for line, row in pending:
            name = row.get("name", "")
            if session.scalar(select(Organization).where(Organization.name == name)):
                result.skipped += 1
                progressed = True
                continue
            parent = row.get("parent") or None
            if parent and not session.scalar(select(Organization).where(Organization.name == parent)):
                retry.append((line, row))
                continue
            try:
                kind = OrgKind(row.get("kind", ""))
                create_org(session, name=name, kind=kind, region_code=row.get("region_code") or None, parent=parent)
                result.created += 1
            except (ValueError, AdminError) as exc:
                result.errors.append(f"line {line}: {exc}")
            progressed = True
        if not progressed:
            result.errors.extend(f"line {line}: parent {row.get('parent')!r} not found" for line, row in retry)
            break
        pending = retry
    return result


def create_user(
    session: Session, *, username: str, role: Role, org: str, password: str | None = None, display_name: str = ""
) -> User:
    display_name = display_name or username.strip()
    username = normalize_username(username)
    if not username:
        raise AdminError("username must not be empty")
    if password is not None:
        try:
            check_password(password, username)
        except PasswordRejected as exc:
            raise AdminError(str(exc)) from exc
    if session.scalar(select(User).where(User.username == username)):
        raise AdminError(f"user {username!r} exists already")
    organisation = find_org(session, org)
    if role == Role.outlet and organisation.kind != OrgKind.outlet:
        raise AdminError("outlet users must belong to an organisation of kind 'outlet'")
    user = User(
        username=username,
        role=role,
        org_id=organisation.id,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise AdminError(f"no user {username!r}")
    return user


def create_token(session: Session, *, username: str, name: str = "cli", ttl_days: int | None = None) -> str:
    return issue_token(session, user=find_user(session, username), name=name, ttl_days=ttl_days)


def seed_2023(session: Session) -> Campaign:
    """The 2023 Activity Week from the ministry's notice: 14–20 May, 「技能：让生活更美好」."""
    existing = session.scalar(select(Campaign).where(Campaign.name == "2023年职业教育活动周"))
    if existing:
        return existing
    return create_campaign(
        session,
        year=2023,
        name="2023年职业教育活动周",
        theme="技能：让生活更美好",
        week_start=date(2023, 5, 14),
        week_end=date(2023, 5, 20),
        plan_deadline=date(2023, 4, 28),
        summary_deadline=date(2023, 5, 27),
    )


DEMO_PASSWORD = "demo-password-2023"  # noqa: S105 - demo accounts exist only where `demo seed` was run


def seed_demo(session: Session) -> dict[str, object]:
    """Idempotently create a demo campaign open now, organisations, one user per role and an empty submission."""
    now = datetime.now(UTC)
    campaign = session.scalar(select(Campaign).where(Campaign.name == "演示活动周"))
    if campaign is None:
        today = now.astimezone(BEIJING).date()
        campaign = create_campaign(
            session,
            year=today.year,
            name="演示活动周",
            theme="技能：让生活更美好",
            week_start=today,
            week_end=today + timedelta(days=6),
            plan_deadline=today - timedelta(days=14),
            upload_opens_at=now - timedelta(days=1),
            upload_closes_at=now + timedelta(days=30),
        )
    elif not campaign.upload_open(now):
        campaign.upload_opens_at = now - timedelta(days=1)
        campaign.upload_closes_at = now + timedelta(days=30)

    def org(name: str, kind: OrgKind, region: str | None, parent: str | None = None) -> Organization:
        found = session.scalar(select(Organization).where(Organization.name == name))
        return found or create_org(session, name=name, kind=kind, region_code=region, parent=parent)

    org("教育部职业教育与成人教育司", OrgKind.ministry, "110000")
    org("山东省教育厅", OrgKind.province, "370000")
    school = org("山东省济南职业学院（演示）", OrgKind.school, "370100", parent="山东省教育厅")
    org("新华社（演示）", OrgKind.outlet, "110000")
    users = {
        "submitter": ("demo-submitter", "山东省济南职业学院（演示）"),
        "editor": ("demo-editor", "教育部职业教育与成人教育司"),
        "outlet": ("demo-outlet", "新华社（演示）"),
        "admin": ("demo-admin", "教育部职业教育与成人教育司"),
    }
    tokens: dict[str, str] = {}
    for role, (username, org_name) in users.items():
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(session, username=username, role=Role(role), org=org_name, password=DEMO_PASSWORD)
        tokens[role] = issue_token(session, user=user, name="demo")
    submitter = session.scalar(select(User).where(User.username == "demo-submitter"))
    assert submitter is not None
    submission = Submission(
        campaign_id=campaign.id,
        org_id=school.id,
        created_by=submitter.id,
        category="activity_photos",
        title="开放校园：技能展示体验日（演示）",
        activity="开放校园",
        place="山东省济南市",
        region_code=school.region_code,
        theme_tags=["产教融合"],
        credits="济南职业学院宣传部",
        consent=True,
    )
    session.add(submission)
    session.flush()
    return {"campaign_id": str(campaign.id), "submission_id": str(submission.id), "tokens": tokens}
