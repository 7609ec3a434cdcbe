"""The Celery queues: their names, which pipeline step runs on which, and how long the broker waits before it
redelivers an unacknowledged message. One home, imported by the API (to send), the workers (to route and consume),
the metrics and the dashboard (to count). Dependency-free.

ARCHITECTURE.md: ``ingest`` (probe, hashing: light), ``media`` (ffmpeg, Pillow: CPU heavy), ``ml`` (model
inference), ``default`` (sweeper, packages, reports), ``notify`` (notifications: waits on SMTP and robot servers, so
a slow mail server never holds up the sweeper); each can be scaled on its own machines.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Queue(enum.StrEnum):
    ingest = "ingest"
    media = "media"
    ml = "ml"
    default = "default"
    notify = "notify"  # notifications: in-app, e-mail, team-chat robots (slow remote servers, retried)


#: Every queue, in the order operators read them (a worker consuming all of them: ``-Q ingest,media,ml,default``).
QUEUES: tuple[str, ...] = tuple(q.value for q in Queue)
ALL_QUEUES_ARG = ",".join(QUEUES)

#: step name -> queue. The workers' routes and the API's sends both read this table.
STEP_QUEUES: dict[str, str] = {
    "verify": Queue.ingest,
    "probe": Queue.ingest,
    "derive": Queue.media,
    "screen": Queue.ml,
    "dedupe": Queue.ml,
    "tag": Queue.ml,
}

#: A task without its own hard limit gets this one, so that every task has a limit the redelivery timeout can exceed.
DEFAULT_TASK_TIME_LIMIT = 3600
#: Slack between the longest hard limit and the broker's redelivery: the killed task's ack, a slow restart.
REDELIVERY_MARGIN_SECONDS = 600


def redelivery_timeout(time_limits: Iterable[int | None]) -> int:
    """The broker's visibility timeout: longer than the longest task's hard limit (package builds included).

    A message is redelivered only after this long unacknowledged; were it shorter than a task, the broker would hand a
    task still running to a second worker. Lost work is re-sent much sooner by the pipeline's sweeper (heartbeats).
    """
    longest = max((limit or DEFAULT_TASK_TIME_LIMIT for limit in time_limits), default=DEFAULT_TASK_TIME_LIMIT)
    return longest + REDELIVERY_MARGIN_SECONDS
