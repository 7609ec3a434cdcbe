"""Our ffmpeg runner: commands are built with ffmpeg-python and run here, never through ``ffmpeg.run``.

Why our own: ffmpeg-python's ``run_async(quiet=True)`` can hang on full pipes. Here stdout carries ``-progress``
key=value lines (parsed in a thread), stderr is drained into a bounded tail (kept for the failure reason), the
process gets RLIMIT_CPU/RLIMIT_AS and dies with its parent (PR_SET_PDEATHSIG), and it is killed on timeout, on
Celery's soft time limit or revoke (any exception while waiting).

Inputs are hardened (ARCHITECTURE.md): local files only (``-protocol_whitelist file``), demuxer forced from the
probe, playlist/concat demuxers refused.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

import ffmpeg

from service.core.config import get_settings
from service.core.media_types import DEMUXERS
from workers.profiles import FFMPEG_MEMORY_BYTES

log = logging.getLogger(__name__)

#: Demuxers an input may be forced to; everything else (hls, concat, image2, lavfi, …) is refused.
ALLOWED_INPUT_FORMATS = DEMUXERS  # the accepted types' demuxers (service.core.media_types)
STDERR_TAIL_LINES = 40
PR_SET_PDEATHSIG = 1


class FfmpegError(RuntimeError):
    """ffmpeg exited non-zero or timed out; ``tail`` holds the end of its stderr."""

    def __init__(self, message: str, tail: str) -> None:
        super().__init__(f"{message}: {tail[-800:]}")
        self.tail = tail


@lru_cache(maxsize=1)
def ffmpeg_binary() -> str:
    """settings.ffmpeg_binary, else ``ffmpeg`` on PATH, else the binary shipped in imageio-ffmpeg."""
    configured = get_settings().ffmpeg_binary
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def safe_input(path: Path, fmt: str, **options: Any) -> Any:
    """An ffmpeg-python input node for a local file with the demuxer forced and only the file protocol allowed."""
    if fmt not in ALLOWED_INPUT_FORMATS:
        raise ValueError(f"input format {fmt!r} is not allowed")
    if not path.is_file():
        raise ValueError(f"{path} is not a local file")
    return ffmpeg.input(str(path.resolve()), f=fmt, protocol_whitelist="file", **options)


def command(stream: Any) -> list[str]:
    """Compile an ffmpeg-python graph to argv with our global flags (progress on stdout, no stdin, overwrite)."""
    args: list[str] = stream.global_args("-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1",
                                         "-loglevel", "warning").overwrite_output().compile(cmd=ffmpeg_binary())
    return args


@dataclass
class RunResult:
    seconds: float
    stderr_tail: str


def child_limits(cpu_seconds: int, memory_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn``: CPU and address-space limits, and death with the parent (also for the document parser)."""

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        with contextlib.suppress(OSError, AttributeError):  # die with the worker, also when it is SIGKILLed
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    return apply


def run(args: list[str], *, timeout: float, duration: float | None = None,
        on_progress: Callable[[float], None] | None = None, cpu_seconds: int | None = None,
        memory_bytes: int = FFMPEG_MEMORY_BYTES) -> RunResult:
    """Run ``args`` (from :func:`command`) to completion or raise FfmpegError; the process never outlives the call."""
    started = time.monotonic()
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    cpu = cpu_seconds or int(timeout * max(os.cpu_count() or 1, 1)) + 10
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=child_limits(cpu, memory_bytes), start_new_session=True, close_fds=True)
    readers = [threading.Thread(target=_drain_stderr, args=(proc, tail), daemon=True),
               threading.Thread(target=_read_progress, args=(proc, duration, on_progress), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise FfmpegError(f"ffmpeg timed out after {timeout:.0f} s", "\n".join(tail)) from exc
    finally:  # timeout, soft time limit, revoke: whatever stopped the wait, the process goes too
        if proc.poll() is None:
            _kill(proc)
        for reader in readers:
            reader.join(timeout=5)
    text = "\n".join(tail)
    if proc.returncode != 0:
        raise FfmpegError(f"ffmpeg exited with {proc.returncode}", text)
    return RunResult(time.monotonic() - started, text)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _drain_stderr(proc: subprocess.Popen[bytes], tail: collections.deque[str]) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        tail.append(line.decode(errors="replace").rstrip())


def _read_progress(proc: subprocess.Popen[bytes], duration: float | None,
                   on_progress: Callable[[float], None] | None) -> None:
    """Parse ``-progress pipe:1`` blocks (``out_time_us=…`` … ``progress=continue|end``) into a 0..1 fraction."""
    assert proc.stdout is not None
    out_time = 0.0
    for raw in proc.stdout:
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        if key in ("out_time_us", "out_time_ms") and value.strip().lstrip("-").isdigit():
            out_time = max(out_time, int(value) / 1_000_000)  # both keys are microseconds in ffmpeg ≥ 5
        elif key == "progress" and on_progress is not None:
            fraction = 1.0 if value == "end" else (min(out_time / duration, 1.0) if duration else 0.0)
            try:
                on_progress(fraction)
            except Exception:  # a progress sink must never break the encode
                log.warning("progress callback failed", exc_info=True)


class _FdReader:
    """The read end of a pipe as the minimal file object PyAV reads from (no ``seek``: a stream)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self, size: int) -> bytes:
        return os.read(self.fd, size)


class FramePipe:
    """A named pipe that one output of an ffmpeg command writes into while ``consume`` reads it in a thread, so a
    command that decodes a video anyway can hand the frames on without a second decode or a file on disk.

    Race-free whatever ffmpeg does: the read end is opened first and a write end is held here until the command has
    ended (``with`` exits), so the reader waits for ffmpeg instead of seeing an early end of stream, and sees the end
    when ffmpeg is done or never started. A reader that fails keeps draining the pipe, so ffmpeg never blocks on it;
    its error is raised at exit, unless the command itself failed (that error is the one that matters)."""

    def __init__(self, path: Path, consume: Callable[[Any], None], *, join_timeout: float = 120.0) -> None:
        self.path = path
        self._consume = consume
        self._join_timeout = join_timeout
        self._error: BaseException | None = None
        os.mkfifo(path, 0o600)
        self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self._keeper: int | None = os.open(path, os.O_WRONLY)
        os.set_blocking(self._fd, True)
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        try:
            self._consume(_FdReader(self._fd))
        except BaseException as exc:  # handed to the caller at exit
            self._error = exc
        finally:
            with contextlib.suppress(OSError):
                while os.read(self._fd, 1 << 20):
                    pass
            os.close(self._fd)

    def __enter__(self) -> FramePipe:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._keeper is not None:
            os.close(self._keeper)  # with ffmpeg gone, the reader now sees the end of the stream
            self._keeper = None
        self._thread.join(self._join_timeout)
        with contextlib.suppress(OSError):
            self.path.unlink()
        if exc is not None:
            return
        if self._thread.is_alive():
            raise RuntimeError(f"the reader of {self.path.name} did not finish")
        if self._error is not None:
            raise self._error
