"""Local scratch space for one step: the original is copied here from S3; everything is removed afterwards.

A SIGKILLed worker cannot clean up, so folder names carry the owning process id and a starting worker removes the
folders of processes that no longer exist (:func:`remove_orphans`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.core.config import get_settings
from service.core.storage import get_storage

log = logging.getLogger(__name__)
SCRATCH_PREFIX = "mediadesk-"
_OWNER = re.compile(rf"^{SCRATCH_PREFIX}[a-z]+-(\d+)-")


@contextmanager
def scratch_dir(prefix: str = "step-") -> Iterator[Path]:
    """A private temporary folder (0700), always removed, also when the step fails or times out."""
    base = get_settings().worker_tmp_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{prefix}{os.getpid()}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def fetch_original(key: str, folder: Path) -> Path:
    """Download the original under a fixed local name: user file names never reach a command line."""
    path = folder / "original"
    get_storage().download(key, path)
    return path


def remove_orphans() -> int:
    """Remove scratch folders whose owning process is gone (a worker killed mid-step); returns how many."""
    base = get_settings().worker_tmp_dir or Path(tempfile.gettempdir())
    removed = 0
    for folder in base.glob(f"{SCRATCH_PREFIX}*"):
        match = _OWNER.match(folder.name)
        if not match or not folder.is_dir() or _alive(int(match.group(1))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    if removed:
        log.warning("removed %d scratch folder(s) left by killed workers", removed)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
