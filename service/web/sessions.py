"""Cookie sessions kept server-side in Redis.

The cookie carries only a random id and its HMAC (``settings.secret_key``); the data (user id, CSRF token) lives in
Redis so that logout and deactivation take effect at once. Login always issues a new id (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

from service.core.config import get_settings
from service.core.kv import get_redis

COOKIE_NAME = "mdk_session"
IDLE_TTL_SECONDS = 12 * 3600
_PREFIX = "web:session:"


@dataclass
class WebSession:
    """One browser's session: anonymous (login form) or bound to a user."""

    sid: str
    csrf: str
    user_id: str | None = None
    created: float = field(default_factory=time.time)

    def dump(self) -> str:
        return json.dumps({"csrf": self.csrf, "uid": self.user_id, "created": self.created})


def _mac(sid: str) -> str:
    return hmac.new(get_settings().secret_key.encode(), sid.encode(), hashlib.sha256).hexdigest()[:32]


def cookie_value(session: WebSession) -> str:
    return f"{session.sid}.{_mac(session.sid)}"


def _sid_from_cookie(value: str) -> str | None:
    sid, _, mac = value.partition(".")
    if not sid or len(value) > 200 or not hmac.compare_digest(mac, _mac(sid)):
        return None
    return sid


def load(cookie: str | None) -> WebSession | None:
    """The session a cookie points at, refreshing its idle timeout; None when forged, unknown or expired."""
    sid = _sid_from_cookie(cookie) if cookie else None
    if sid is None:
        return None
    client = get_redis()
    raw = client.get(_PREFIX + sid)
    if raw is None:
        return None
    client.expire(_PREFIX + sid, IDLE_TTL_SECONDS)
    data = json.loads(str(raw))
    return WebSession(sid=sid, csrf=data["csrf"], user_id=data.get("uid"), created=data.get("created", 0.0))


def create(user_id: str | None = None) -> WebSession:
    """A fresh session with a new id and a new CSRF token."""
    session = WebSession(sid=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), user_id=user_id)
    get_redis().set(_PREFIX + session.sid, session.dump(), ex=IDLE_TTL_SECONDS)
    return session


def destroy(session: WebSession) -> None:
    get_redis().delete(_PREFIX + session.sid)


def csrf_matches(session: WebSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, str(token))
