"""The ``mediadesk`` command."""

from __future__ import annotations

import typer

from service.cli import admin, retention, up
from service.cli.models import models_app

app = typer.Typer(help="mediadesk: 职业教育活动周媒体素材平台 / Activity Week media desk", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.command("up")(up.up)
app.command("migrate")(admin.migrate)
app.command("retention")(retention.retention)
app.add_typer(admin.org_app, name="org")
app.add_typer(admin.user_app, name="user")
app.add_typer(admin.token_app, name="token")
app.add_typer(admin.campaign_app, name="campaign")
app.add_typer(admin.demo_app, name="demo")
app.add_typer(models_app, name="models")

try:  # the upload client is optional at import time so that `mediadesk up` never depends on it
    from service.cli import upload
except ImportError:  # pragma: no cover
    upload = None  # type: ignore[assignment]
if upload is not None:
    app.command("upload")(upload.upload)
