"""The process-wide Redis client for short-lived state (web sessions, rate limits, review claims cache)."""

from __future__ import annotations

from functools import lru_cache

import redis

from service.core.config import get_settings


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    """A pooled client; Celery keeps its own connections, this one is for the API's own keys."""
    return redis.Redis.from_url(
        get_settings().redis_url or "", socket_connect_timeout=3, socket_timeout=3, decode_responses=True
    )
