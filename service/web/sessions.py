"""Cookie sessions kept server-side in Redis.

The cookie carries only a random id and its HMAC (``settings.secret_key``); the data (user id, CSRF token) lives in
Redis so that logout and deactivation take effect at once. Login always issues a new id (no session fixation).
Each signed-in session's id is also kept in a per-user set (``web:user-sessions:{user id}``), so a user's sessions can
be listed (by a handle: a digest of the id, never the id) and ended by the user or an admin.
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
_USER_PREFIX = "web:user-sessions:"


@dataclass
class WebSession:
    """One browser's session: anonymous (login form) or bound to a user."""

    sid: str
    csrf: str
    user_id: str | None = None
    created: float = field(default_factory=time.time)
    ip: str = ""
    agent: str = ""

    def dump(self) -> str:
        return json.dumps({"csrf": self.csrf, "uid": self.user_id, "created": self.created, "ip": self.ip,
                           "agent": self.agent})

    @property
    def handle(self) -> str:
        """A name for this session in lists: a digest of its id, useless as a cookie."""
        return handle_of(self.sid)


def handle_of(sid: str) -> str:
    return hashlib.sha256(("handle:" + sid).encode()).hexdigest()[:20]


def _parse(sid: str, raw: object) -> WebSession:
    data = json.loads(str(raw))
    return WebSession(sid=sid, csrf=data["csrf"], user_id=data.get("uid"), created=data.get("created", 0.0),
                      ip=data.get("ip", ""), agent=data.get("agent", ""))


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
    return _parse(sid, raw)


def create(user_id: str | None = None, *, ip: str = "", agent: str = "") -> WebSession:
    """A fresh session with a new id and a new CSRF token (indexed under its user when it has one)."""
    session = WebSession(sid=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32), user_id=user_id, ip=ip[:64],
                         agent=agent[:200])
    pipe = get_redis().pipeline()
    pipe.set(_PREFIX + session.sid, session.dump(), ex=IDLE_TTL_SECONDS)
    if user_id:
        pipe.sadd(_USER_PREFIX + user_id, session.sid)
    pipe.execute()
    return session


def destroy(session: WebSession) -> None:
    pipe = get_redis().pipeline()
    pipe.delete(_PREFIX + session.sid)
    if session.user_id:
        pipe.srem(_USER_PREFIX + session.user_id, session.sid)
    pipe.execute()


def of_user(user_id: str) -> list[WebSession]:
    """The user's live sessions, newest first; ids whose session expired are dropped from the index on the way."""
    client = get_redis()
    sids = sorted(str(s) for s in client.smembers(_USER_PREFIX + user_id))
    live: list[WebSession] = []
    for sid in sids:
        raw = client.get(_PREFIX + sid)
        if raw is None:
            client.srem(_USER_PREFIX + user_id, sid)
            continue
        live.append(_parse(sid, raw))
    return sorted(live, key=lambda s: s.created, reverse=True)


def end_user_sessions(user_id: str, handle: str | None = None) -> int:
    """End the user's sessions (all, or the one with ``handle``); returns how many ended."""
    ended = 0
    for session in of_user(user_id):
        if handle is None or hmac.compare_digest(session.handle, handle):
            destroy(session)
            ended += 1
    return ended


def csrf_matches(session: WebSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf, str(token))
