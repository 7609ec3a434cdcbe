"""Local scratch space, the one home of every temporary folder a worker makes: the original copied from S3, ffmpeg's
outputs, a video for the ml steps, a delivery copy. Everything is removed afterwards.

A SIGKILLed worker cannot clean up, so folder names carry the owning process (its id and, on Linux, its start time,
so a recycled process id is not mistaken for the owner): ``mediadesk-<purpose>-<pid>.<start>-<random>``. A starting
worker and each new pool process remove the folders of processes that no longer exist (:func:`remove_orphans`, on
``worker_ready`` and ``worker_process_init``).
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
_OWNER = re.compile(rf"^{SCRATCH_PREFIX}[a-z]+-(\d+)(?:\.(\d+))?-")


def scratch_root() -> Path:
    """Where scratch folders live: ``MEDIADESK_WORKER_TMP_DIR`` (a larger disk), else the system temp folder."""
    base = get_settings().worker_tmp_dir
    if base is None:
        return Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    return base


@contextmanager
def scratch_dir(prefix: str = "step-") -> Iterator[Path]:
    """A private temporary folder (0700), always removed, also when the step fails or times out."""
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{prefix}{_owner(os.getpid())}-", dir=scratch_root()))
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
    removed = 0
    for folder in scratch_root().glob(f"{SCRATCH_PREFIX}*"):
        match = _OWNER.match(folder.name)
        if not match or not folder.is_dir():
            continue
        start = int(match.group(2)) if match.group(2) else None
        if _alive(int(match.group(1)), start):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    if removed:
        log.warning("removed %d scratch folder(s) left by killed workers", removed)
    return removed


def _owner(pid: int) -> str:
    start = _start_time(pid)
    return f"{pid}" if start is None else f"{pid}.{start}"


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22); None off Linux."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _alive(pid: int, start: int | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or _start_time(pid) in (start, None)
