"""Failed-credential limits shared by every API replica (Redis): a client address that keeps presenting wrong API
tokens is refused with 429 + Retry-After for the rest of the window, valid token or not, so tokens cannot be guessed
at speed. When Redis is unreachable the limit is not enforced (logged): an outage must not lock everyone out.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import redis
from fastapi import Request

from service.core.clientaddr import client_address
from service.core.config import get_settings
from service.core.errors import Problem

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=1, socket_connect_timeout=1)


def _key(request: Request, kind: str) -> str:
    return f"mediadesk:authfail:{kind}:{client_address(request)}"


def check_failures(request: Request, kind: str = "token") -> None:
    """Raise 429 when this client address used up its failed attempts for the current window."""
    limit = get_settings().token_failure_limit_per_minute
    try:
        pipe = _redis().pipeline()
        pipe.get(_key(request, kind))
        pipe.ttl(_key(request, kind))
        count, ttl = pipe.execute()
    except redis.RedisError:
        log.warning("rate limit store unreachable; %s failures not checked", kind)
        return
    if count is not None and int(count) >= limit:
        raise Problem(429, "too_many_failed_attempts", "凭据错误次数过多，请稍后再试",
                      "too many failed authentication attempts from this address; retry later",
                      headers={"Retry-After": str(max(1, int(ttl)) if ttl and ttl > 0 else WINDOW_SECONDS)})


def note_failure(request: Request, kind: str = "token") -> None:
    try:
        pipe = _redis().pipeline()
        # SET NX EX starts the window once (Redis 6.2 has no EXPIRE NX); INCR counts inside it.
        pipe.set(_key(request, kind), 0, ex=WINDOW_SECONDS, nx=True)
        pipe.incr(_key(request, kind))
        pipe.execute()
    except redis.RedisError:
        log.warning("rate limit store unreachable; %s failure not counted", kind)
