"""A real Celery worker process on the ``notify`` queue delivers notifications: woken by the publish, retrying a
failing robot with backoff until it answers, and never sending twice when the dispatcher runs again."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.core.db import session_scope
from service.core.events import EventKind, publish
from service.core.queues import Queue
from service.core.tasks import send_now
from service.db.notify import DeliveryStatus, OrgWebhook, WebhookKind
from service.db.org import OrgKind, Role
from service.notify import preferences
from tests.notify_support import RobotReceiver, SmtpSink, address, deliveries, notify_env
from tests.support import ChildProcess, make_actor, make_org, wait_until, worker_process


@pytest.fixture(scope="module")
def notify_worker(child_env: dict[str, str], logs_dir: Path, smtp: SmtpSink) -> Iterator[ChildProcess]:
    proc = worker_process({**child_env, **notify_env(smtp)}, logs_dir, queues=Queue.notify.value,
                          name="notify-worker").start()
    try:
        yield proc
    finally:
        proc.stop()


def publish_to(org_id: uuid.UUID, kind: EventKind, title: str) -> None:
    with session_scope() as session:  # the commit wakes the dispatcher on the notify queue
        publish(session, kind, subject_kind="report", subject_id=uuid.uuid4(), org_id=org_id, data={"title": title})


def test_a_failing_robot_is_retried_with_backoff_and_gets_the_message_once(
        notify_worker: ChildProcess, robot: RobotReceiver) -> None:
    org = make_org(OrgKind.province)
    make_actor(Role.submitter, org)
    path = f"/cgi-bin/webhook/send/{org}"
    robot.fail_first[path] = 2
    with session_scope() as session:
        session.add(OrgWebhook(org_id=org, kind=WebhookKind.wecom, url=f"{robot.url}{path}?key=k{org.hex[:8]}",
                               kinds=[], enabled=True))
    publish_to(org, EventKind.report_returned, "活动总结")

    def sent() -> bool:
        rows = deliveries(org_id=org, kind="report_returned")
        return bool(rows) and rows[0].status == DeliveryStatus.sent

    wait_until(sent, timeout=90, message=f"robot delivery sent\n{notify_worker.log()[-3000:]}")
    assert [r.answered for r in robot.at(path)] == [500, 500, 200]
    row = deliveries(org_id=org, kind="report_returned")[0]
    assert row.attempts == 3
    assert row.last_error is None
    assert "活动总结" in robot.at(path)[-1].body["markdown"]["content"]


def test_the_dispatcher_run_again_sends_no_second_email(notify_worker: ChildProcess, smtp: SmtpSink) -> None:
    org = make_org(OrgKind.school)
    actor = make_actor(Role.submitter, org)
    mail = address()
    with session_scope() as session:
        preferences.save_profile(session, user_id=actor.user_id, email=mail, language=None)
    publish_to(org, EventKind.report_accepted, "典型案例：开放日")
    wait_until(lambda: smtp.to(mail), timeout=60, message=f"e-mail sent\n{notify_worker.log()[-3000:]}")
    for _ in range(3):  # the periodic run, a redelivered message, a second beat: all find nothing to send
        send_now("notify.dispatch", queue=Queue.notify.value)
    time.sleep(4)
    assert len(smtp.to(mail)) == 1
    assert "报送材料已采用" in smtp.to(mail)[0]["Subject"]
    rows = deliveries(user_id=actor.user_id)
    assert [(r.status, r.attempts) for r in rows] == [(DeliveryStatus.sent, 1)]


def test_mediadesk_up_and_beat_run_the_notify_queue(tmp_path: Path) -> None:
    from service.cli.up import child_processes
    from service.core.config import Settings
    from workers.celery_app import TASK_MODULES, app

    app.loader.import_default_modules()  # what the worker does at start (TASK_MODULES)
    assert "workers.notify" in TASK_MODULES
    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    for task in ("notify.dispatch", "notify.releases", "notify.reminders", "notify.digests", "notify.prune"):
        assert schedule[task]["options"]["queue"] == "notify"
        assert task in app.tasks
    worker = next(c for c in child_processes(Settings(), {}, "127.0.0.1", 8000, tmp_path) if c.name == "worker")
    assert "notify" in worker.args[worker.args.index("-Q") + 1].split(",")
