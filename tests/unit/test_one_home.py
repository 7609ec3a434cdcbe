"""One home each for queue names, pixel limits, the broker's redelivery timeout and scratch folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from service.core import media_types, queues
from tests import media_samples as media
from workers.rejections import Rejected

ROOT = Path(__file__).resolve().parents[2]


def test_the_workers_consume_and_route_by_the_one_queue_table() -> None:
    from workers.celery_app import app
    from workers.pipeline import order

    assert [q.name for q in app.conf.task_queues] == list(queues.QUEUES)
    assert app.conf.task_routes == {f"pipeline.{s}": {"queue": q} for s, q in queues.STEP_QUEUES.items()}
    assert set(order()) <= set(queues.STEP_QUEUES)
    assert set(queues.STEP_QUEUES.values()) <= set(queues.QUEUES)


def test_redelivery_waits_longer_than_the_longest_task_package_builds_included() -> None:
    import workers.packages  # noqa: F401 - every task module the worker imports (celery_app.TASK_MODULES)
    import workers.pipeline  # noqa: F401
    from workers.celery_app import TASK_MODULES, app, configure_redelivery, task_time_limits

    for module in TASK_MODULES:
        __import__(module)
    limits = task_time_limits(app)
    assert {"pipeline.derive", "portal.build_package", "pipeline.sweep"} <= set(limits)
    timeout = configure_redelivery(app)
    assert app.conf.broker_transport_options["visibility_timeout"] == timeout
    for name, limit in limits.items():
        assert timeout > limit, name
    assert timeout > limits["portal.build_package"] >= 4 * 3600  # the longest today: 4 h ZIP builds
    assert all(limit > 0 for limit in limits.values())  # no task without a hard limit


def _probe_black_jpeg(width: int, height: int, tmp_path: Path) -> object:
    import pyvips

    from workers.image_probe import probe_image

    path = tmp_path / "original"
    pyvips.Image.black(width, height, bands=3).jpegsave(str(path), Q=60)
    return probe_image(path)


def test_pillow_and_the_probe_share_one_pixel_limit() -> None:
    import workers.imaging
    import workers.media_input  # noqa: F401 - used to set its own, different limit

    assert Image.MAX_IMAGE_PIXELS == media_types.MAX_IMAGE_PIXELS == workers.imaging.MAX_IMAGE_PIXELS


def test_a_200_megapixel_phone_photo_is_accepted(tmp_path: Path) -> None:
    probe = _probe_black_jpeg(16320, 12240, tmp_path)  # what a 200 MP phone sensor writes (199.8 MP)
    assert (probe.width, probe.height) == (16320, 12240)  # type: ignore[attr-defined]


def test_a_20000_by_20000_bomb_is_refused(tmp_path: Path) -> None:
    from workers.image_probe import probe_image

    path = tmp_path / "original"
    path.write_bytes(media.bomb_png(20000, 20000))
    with pytest.raises(Rejected) as caught:
        probe_image(path)
    assert caught.value.code == "image_too_large"
    assert str(media_types.MAX_IMAGE_PIXELS // 1_000_000) in caught.value.en


def _python(code: str, tmp: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "MEDIADESK_WORKER_TMP_DIR": str(tmp), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)


HOLD = ("import time\nfrom workers.scratch import scratch_dir\n"
        "with scratch_dir('derive-') as folder:\n    print(folder, flush=True)\n    time.sleep(120)\n")


def test_scratch_of_a_process_killed_with_sigkill_is_removed_at_the_next_start(tmp_path: Path) -> None:
    killed, alive = _python(HOLD, tmp_path), _python(HOLD, tmp_path)
    try:
        killed_dir = Path(killed.stdout.readline().strip())  # type: ignore[union-attr]
        alive_dir = Path(alive.stdout.readline().strip())  # type: ignore[union-attr]
        (killed_dir / "original").write_bytes(b"x" * 1000)
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
        assert killed_dir.is_dir()  # a SIGKILL leaves no chance to clean up …
        recycled = tmp_path / f"mediadesk-probe-{os.getppid()}.1-abc"  # a live pid, but not the process that made it
        recycled.mkdir()
        sweep = _python("from workers.scratch import remove_orphans\nprint(remove_orphans())", tmp_path)
        assert sweep.communicate(timeout=60)[0].strip() == "2"  # … the next worker's start removes it
        assert not killed_dir.exists()
        assert not recycled.exists()
        assert alive_dir.is_dir()  # a running step's folder is left alone
    finally:
        for proc in (killed, alive):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_every_temporary_folder_comes_from_the_scratch_module() -> None:
    makers = ("mkdtemp(", "TemporaryDirectory(", "NamedTemporaryFile(", "mkstemp(")
    offenders = [str(path.relative_to(ROOT)) for package in ("workers", "models") for path in
                 (ROOT / package).rglob("*.py") if path.name != "scratch.py"
                 and any(m in path.read_text(encoding="utf-8") for m in makers)]
    assert offenders == []
