"""Resolve which instance a command talks to: ``--data`` / ``MEDIADESK_DATA_DIR`` or explicit URLs."""

from __future__ import annotations

import os
from pathlib import Path

from service.core.config import get_settings
from service.core.db import reset_engines

DataOption = Path | None


def use_data_dir(data: Path | None) -> None:
    """Point settings at ``data`` (its ``run/endpoints.json``) before anything connects."""
    if data is not None:
        os.environ["MEDIADESK_DATA_DIR"] = str(data.resolve())
    get_settings.cache_clear()
    reset_engines()
    from service.core import kv, storage, tasks

    storage.get_storage.cache_clear()
    tasks.producer.cache_clear()
    kv.get_redis.cache_clear()
