"""A full scratch disk is an outage of the worker, not a fault of the file: the step is retried, never failed."""

from __future__ import annotations

import errno

import pytest

from workers.ffmpeg import FfmpegError
from workers.pipeline import TRANSIENT_ERRORS, ScratchFull, _disk_full


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EDQUOT, "Disk quota exceeded"),
    FfmpegError("ffmpeg exited with 1", "av_interleaved_write_frame(): No space left on device"),
])
def test_disk_full_is_recognised(exc: BaseException) -> None:
    assert _disk_full(exc)


@pytest.mark.parametrize("exc", [FileNotFoundError("gone"), OSError(errno.EIO, "I/O error"), ValueError("x")])
def test_other_errors_are_not(exc: BaseException) -> None:
    assert not _disk_full(exc)


def test_scratch_full_is_retried_as_transient() -> None:
    assert issubclass(ScratchFull, TRANSIENT_ERRORS)
