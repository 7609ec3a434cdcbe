"""docs/OPERATIONS.md's configuration table is generated from Settings and must be committed up to date."""

from __future__ import annotations

from service.core.config import Settings
from service.ops import config_doc


def test_committed_configuration_reference_is_current() -> None:
    assert config_doc.main(["--check"]) == 0, "run `make config-doc` (python -m service.ops.config_doc) and commit"


def test_every_setting_is_documented_once() -> None:
    table = config_doc.render()
    for name in Settings.model_fields:
        assert table.count(f"`MEDIADESK_{name.upper()}`") == 1


def test_regenerating_is_idempotent() -> None:
    text = config_doc.DOC.read_text(encoding="utf-8")
    assert config_doc.updated(config_doc.updated(text)) == config_doc.updated(text)
