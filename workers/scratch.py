"""Local scratch space for one step: the original is copied here from S3; everything is removed afterwards."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.core.config import get_settings
from service.core.storage import get_storage


@contextmanager
def scratch_dir(prefix: str = "mediadesk-") -> Iterator[Path]:
    """A private temporary folder (0700), always removed, also when the step fails or times out."""
    base = get_settings().worker_tmp_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fetch_original(key: str, folder: Path) -> Path:
    """Download the original under a fixed local name: user file names never reach a command line."""
    path = folder / "original"
    get_storage().download(key, path)
    return path
