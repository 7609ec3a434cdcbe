"""Admin commands: organisations, users, tokens, campaigns, migrations and demo data.

Each command prints the created id (or the token) on its last line, so scripts can use ``| tail -n1``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from service.admin import service
from service.cli.context import use_data_dir
from service.core import audit
from service.core.config import get_settings
from service.core.db import session_scope
from service.db.org import OrgKind, Role

DataOpt = Annotated[Path | None, typer.Option("--data", help="data folder of a `mediadesk up` instance")]

org_app = typer.Typer(help="organisations / 单位", no_args_is_help=True)
user_app = typer.Typer(help="users / 用户", no_args_is_help=True)
token_app = typer.Typer(help="API tokens / 令牌", no_args_is_help=True)
campaign_app = typer.Typer(help="campaigns / 活动周", no_args_is_help=True)
demo_app = typer.Typer(help="demo data / 演示数据", no_args_is_help=True)


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def migrate(data: DataOpt = None) -> None:
    """Apply database migrations (Alembic) up to the newest revision."""
    use_data_dir(data)
    from service.db.migrate import upgrade

    settings = get_settings()
    settings.require_servers()
    upgrade(settings.database_url or "")
    typer.echo("migrated")


@org_app.command("create")
def org_create(
    name: str,
    kind: Annotated[OrgKind, typer.Option(help="province | committee | school | department | outlet | ministry")],
    region: Annotated[str | None, typer.Option(help="GB/T 2260 code, e.g. 370000")] = None,
    parent: Annotated[str | None, typer.Option(help="parent organisation name or id")] = None,
    data: DataOpt = None,
) -> None:
    """Create an organisation."""
    use_data_dir(data)
    try:
        with session_scope() as session:
            org = service.create_org(session, name=name, kind=kind, region_code=region, parent=parent)
            audit.record(session, actor=None, action="org.create", target_kind="organization", target_id=org.id,
                         org_id=org.id, detail={"kind": kind.value, "via": "cli"})
            typer.echo(str(org.id))
    except service.AdminError as exc:
        _fail(exc)


@org_app.command("import")
def org_import(csv_path: Path, data: DataOpt = None) -> None:
    """Import organisations from CSV with columns region_code,kind,name,parent (UTF-8)."""
    use_data_dir(data)
    try:
        with session_scope() as session:
            result = service.import_orgs(session, csv_path.read_text(encoding="utf-8-sig"))
            if result.errors:
                for error in result.errors:
                    typer.echo(f"error: {error}", err=True)
                raise service.AdminError(f"{len(result.errors)} rows rejected; nothing imported")
    except service.AdminError as exc:
        _fail(exc)
    typer.echo(f"created {result.created}, already present {result.skipped}")
    typer.echo(str(result.created))


@org_app.command("set-parent")
def org_set_parent(
    org: Annotated[str, typer.Argument(help="organisation name or id")],
    parent: Annotated[str | None, typer.Option(help="the new parent's name or id")] = None,
    no_parent: Annotated[bool, typer.Option("--none", help="remove the parent")] = False,
    data: DataOpt = None,
) -> None:
    """Make PARENT the parent of ORG (or ``--none``); refuses cycles and nonsensical kinds (outlet under school)."""
    from service.core.errors import Problem
    from service.hierarchy.tree import set_parent

    use_data_dir(data)
    if (parent is None) == (not no_parent):
        _fail(service.AdminError("give either --parent NAME or --none"))
    try:
        with session_scope() as session:
            target = service.find_org(session, org)
            parent_org = service.find_org(session, parent) if parent else None
            set_parent(session, org_id=target.id, parent_id=parent_org.id if parent_org else None, actor=None)
            typer.echo(str(parent_org.id) if parent_org else "none")
    except service.AdminError as exc:
        _fail(exc)
    except Problem as problem:
        _fail(service.AdminError(f"{problem.code}: {problem.detail}"))


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[Role, typer.Option(help="submitter | editor | outlet | admin")],
    org: Annotated[str, typer.Option(help="organisation name or id")],
    password: Annotated[str | None, typer.Option(help="web login password (≥ 12 characters, not the user name, "
                                                 "not common, not one kind of character)",
                                                 envvar="MEDIADESK_NEW_USER_PASSWORD")] = None,
    display_name: str = "",
    data: DataOpt = None,
) -> None:
    """Create a user with a role in an organisation."""
    use_data_dir(data)
    try:
        with session_scope() as session:
            user = service.create_user(session, username=username, role=role, org=org, password=password,
                                       display_name=display_name)
            audit.record(session, actor=None, action="user.create", target_kind="user", target_id=user.id,
                         org_id=user.org_id, detail={"role": role.value, "with_password": password is not None,
                                                     "via": "cli"})
            typer.echo(str(user.id))
    except service.AdminError as exc:
        _fail(exc)


@token_app.command("create")
def token_create(
    username: str,
    name: str = "cli",
    ttl_days: Annotated[int | None, typer.Option(help="expire after this many days")] = None,
    data: DataOpt = None,
) -> None:
    """Issue an API token for a user; the secret is printed once."""
    use_data_dir(data)
    try:
        with session_scope() as session:
            secret = service.create_token(session, username=username, name=name, ttl_days=ttl_days)
    except service.AdminError as exc:
        _fail(exc)
    typer.echo(secret)


@campaign_app.command("create")
def campaign_create(
    name: Annotated[str | None, typer.Option(help="campaign name")] = None,
    year: Annotated[int | None, typer.Option()] = None,
    theme: str = "",
    week_start: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    week_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    plan_deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    summary_deadline: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default one week after the week")] = None,
    seed_2023: Annotated[bool, typer.Option("--seed-2023", help="the 2023 week from the ministry's notice")] = False,
    data: DataOpt = None,
) -> None:
    """Create a campaign (or ``--seed-2023``: 14–20 May 2023, 「技能：让生活更美好」)."""
    use_data_dir(data)
    try:
        with session_scope() as session:
            if seed_2023:
                campaign = service.seed_2023(session)
            else:
                if not (name and year and week_start and week_end):
                    raise service.AdminError("--name, --year, --week-start and --week-end are required")
                campaign = service.create_campaign(
                    session, year=year, name=name, theme=theme, week_start=date.fromisoformat(week_start),
                    week_end=date.fromisoformat(week_end),
                    plan_deadline=date.fromisoformat(plan_deadline) if plan_deadline else None,
                    summary_deadline=date.fromisoformat(summary_deadline) if summary_deadline else None,
                )
            typer.echo(str(campaign.id))
    except (service.AdminError, ValueError) as exc:
        _fail(exc)


@demo_app.command("seed")
def demo_seed(data: DataOpt = None) -> None:
    """Create demo campaign, organisations and users (idempotent); print ids and one token per role as JSON."""
    use_data_dir(data)
    if get_settings().env != "development":
        # The demo users have a published password: they must never exist where real material is.
        _fail(RuntimeError(f"`demo seed` runs only with MEDIADESK_ENV=development (this is {get_settings().env}) / "
                           "演示数据只能在开发环境中创建"))
    with session_scope() as session:
        result = service.seed_demo(session)
    typer.echo(json.dumps(result, ensure_ascii=False))
