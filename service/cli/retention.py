"""``mediadesk retention``: a campaign's retention dry run, or the run itself (docs/PRIVACY.md "Retention")."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from service.cli.context import use_data_dir
from service.core.db import session_scope
from service.core.errors import Problem

DataOpt = Annotated[Path | None, typer.Option("--data", help="data folder of a `mediadesk up` instance")]


def retention(
    campaign: Annotated[str, typer.Option("--campaign", help="campaign id")],
    dry_run: Annotated[bool, typer.Option("--dry-run/--execute",
                                          help="report what would be deleted (default), or delete it")] = True,
    limit: Annotated[int, typer.Option(help="files listed in the report")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    data: DataOpt = None,
) -> None:
    """Report (``--dry-run``) or purge (``--execute``) what the campaign's retention policy deletes now."""
    use_data_dir(data)
    from service.retention.service import report

    try:
        campaign_id = uuid.UUID(campaign)
        with session_scope() as session:
            result = report(session, campaign_id=campaign_id, now=datetime.now(UTC), limit=limit)
    except (ValueError, Problem) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if dry_run:
        if as_json:
            typer.echo(json.dumps(asdict(result), default=str, ensure_ascii=False, indent=1))
            return
        if result.policy is None:
            typer.echo(f"{result.campaign_name}: no retention policy / 未设置保存期限策略")
            return
        typer.echo(f"{result.campaign_name}: policy {json.dumps(result.policy)}; cutoff {result.cutoff}; "
                   f"{'due' if result.due else 'not due'}{'; LEGAL HOLD' if result.legal_hold else ''}")
        typer.echo(" ".join(f"{k}={v}" for k, v in result.counts.items()) + f" bytes={result.bytes_to_delete}")
        for item in result.items:
            typer.echo(f"  {item['asset_id']}  {item['review_status']:<9} {item['size']:>12}  {item['org_name']}")
        return
    # The purge runs here, in this process, through the workers' one purge path (as the beat task would).
    from service.retention.service import request_run
    from workers.retention import run_retention

    try:
        with session_scope() as session:
            request_run(session, principal=None, campaign_id=campaign_id, now=datetime.now(UTC))
        summary = run_retention(campaign_id)
    except Problem as problem:
        typer.echo(f"refused: {problem.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(summary))
