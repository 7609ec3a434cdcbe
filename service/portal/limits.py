"""Per-user rate limits in Redis (fixed windows): shared by every API replica."""

from __future__ import annotations

import time
from functools import lru_cache

import redis

from service.core.config import get_settings
from service.core.errors import Problem


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=2, socket_connect_timeout=2)


def hit(scope: str, subject: str, *, limit: int, window_seconds: int) -> None:
    """Count one use; 429 ``rate_limited`` with ``Retry-After`` once ``limit`` uses fell in the current window."""
    window = int(time.time() // window_seconds)
    key = f"mediadesk:rl:{scope}:{subject}:{window}"
    try:
        pipe = _redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, window_seconds + 5)
        count = int(pipe.execute()[0])
    except redis.RedisError:
        return  # limits protect capacity; an unreachable Redis must not stop newsrooms from downloading
    if count > limit:
        retry = int(window_seconds - time.time() % window_seconds) + 1
        raise Problem(429, "rate_limited", f"下载过于频繁，请 {retry} 秒后再试",
                      f"too many requests; retry in {retry} s", headers={"Retry-After": str(retry)},
                      extra={"limit": limit, "window_seconds": window_seconds})
