"""The Redis transport the workers use: kombu's, with one fix for surviving a broker restart.

kombu 5.7 / Celery 5.7: when the broker connection drops, the consumer closes the connection first and the channel
afterwards; the channel's close restores unacked messages through ``self.connection.client``, which is already
``None``, and the resulting AttributeError is "unrecoverable", so the whole worker exits (seen in
tests/integration/test_pipeline_faults.py). Raising a *connection* error instead lets kombu ignore it and Celery
reconnect. Those messages stay in Redis's unacked set (restored after the visibility timeout) and the pipeline's
sweeper re-sends their steps from the job rows long before that.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis import exceptions as redis_errors


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis_errors.ConnectionError("broker connection already closed")
        return super()._connparams(asynchronous)  # type: ignore[no-untyped-call]


class Transport(kombu_redis.Transport):
    Channel = Channel
