"""``mediadesk models list|check|pull`` through the real CLI entry point (typer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.cli.context import use_data_dir
from tests.tiny_models import build_tiny_chinese_clip


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "models"
    directory.mkdir()
    monkeypatch.setenv("MEDIADESK_MODEL_DIR", str(directory))
    use_data_dir(None)  # settings are cached per process
    return directory


def test_list_shows_every_model_and_its_source(model_dir: Path) -> None:
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    for name in ("nsfw", "nudenet", "faces-haar", "ocr", "chinese-clip", "safety", "qr", "pdq"):
        assert name in result.output
    assert "wheel rapidocr" in result.output
    assert "not configured" in result.output


def test_pull_from_a_local_folder_then_check_loads_it(model_dir: Path, tmp_path: Path) -> None:
    saved = build_tiny_chinese_clip(tmp_path / "download" / "tiny-clip")
    runner = CliRunner()
    pulled = runner.invoke(app, ["models", "pull", "chinese-clip", "--from", str(saved)])
    assert pulled.exit_code == 0, pulled.output
    assert (model_dir / "chinese-clip" / "config.json").exists()
    checked = runner.invoke(app, ["models", "check"])
    assert checked.exit_code == 0, checked.output
    clip_line = next(line for line in checked.output.splitlines() if line.startswith("chinese-clip"))
    assert clip_line.rstrip().endswith("ok")
    assert "model dir" in clip_line


def test_pull_refuses_unknown_names_and_non_models(model_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["models", "pull", "gpt"]).exit_code == 2
    assert runner.invoke(app, ["models", "pull", "safety", "--from", str(tmp_path)]).exit_code == 2
