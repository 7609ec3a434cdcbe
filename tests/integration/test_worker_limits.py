"""A real worker derives its broker redelivery timeout from its tasks' limits (not a number kept beside them)."""

from __future__ import annotations

from celery import Celery

from service.core.config import get_settings
from service.core.queues import REDELIVERY_MARGIN_SECONDS
from tests.support import ChildProcess, wait_until


def test_a_running_worker_waits_longer_than_its_longest_task_before_redelivery(worker: ChildProcess) -> None:
    control = Celery("inspect", broker=get_settings().redis_url)
    replies = wait_until(lambda: control.control.inspect(timeout=3).conf(), 60, 1, "the worker to answer")
    conf = next(iter(replies.values()))
    registered = wait_until(lambda: control.control.inspect(timeout=3).registered(), 30, 1, "its task list")
    assert "portal.build_package" in next(iter(registered.values()))
    timeout = conf["broker_transport_options"]["visibility_timeout"]
    from workers.packages import build_package

    assert build_package.time_limit >= 4 * 3600  # the longest task: ZIP packages of up to 10 GiB
    assert timeout == build_package.time_limit + REDELIVERY_MARGIN_SECONDS
