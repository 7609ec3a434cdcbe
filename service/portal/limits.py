"""Per-user rate limits in Redis (fixed windows): shared by every API replica."""

from __future__ import annotations

import logging
import time

import redis

from service.core.errors import Problem
from service.core.kv import get_redis

log = logging.getLogger(__name__)


def hit(scope: str, subject: str, *, limit: int, window_seconds: int) -> None:
    """Count one use; 429 ``rate_limited`` with ``Retry-After`` once ``limit`` uses fell in the current window."""
    window = int(time.time() // window_seconds)
    key = f"portal:rl:{scope}:{subject}:{window}"
    try:
        pipe = get_redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds + 5)
        count = int(pipe.execute()[0])
    except redis.RedisError:
        # Limits protect capacity; an unreachable Redis must not stop newsrooms from downloading.
        log.warning("rate limit %s not checked: Redis unavailable", scope, exc_info=True)
        return
    if count > limit:
        retry = int(window_seconds - time.time() % window_seconds) + 1
        raise Problem(429, "rate_limited", f"下载过于频繁，请 {retry} 秒后再试",
                      f"too many requests; retry in {retry} s", headers={"Retry-After": str(retry)},
                      extra={"limit": limit, "window_seconds": window_seconds})
