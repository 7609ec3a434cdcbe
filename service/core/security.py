"""Passwords (argon2), API tokens (random secrets stored as sha256) and the request principal."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.db.org import ApiToken, Role, User

_hasher = PasswordHasher()
TOKEN_PREFIX = "mdk_"


#: Verified when a username is unknown, so that a miss costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def normalize_username(name: str) -> str:
    """The one form of a user name: stored at creation, looked up at login, and the key of the login limit.

    NFKC folds full-width and compatibility forms (``ｎａｍｅ`` is ``name``), surrounding white space is dropped and
    case folded, so ``" NAME"``, ``"\tname"`` and ``"name"`` are one account and one counter.
    """
    return unicodedata.normalize("NFKC", name).strip().casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash costs one argon2 verification too (no timing oracle)."""
    if not password_hash:
        with contextlib.suppress(VerifyMismatchError, InvalidHashError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, *, user: User, name: str = "", ttl_days: int | None = None) -> str:
    """Create an API token for ``user`` and return its secret (shown once, stored only as a digest)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=ttl_days) if ttl_days else None
    session.add(
        ApiToken(user_id=user.id, token_hash=token_digest(secret), prefix=secret[:12], name=name, expires_at=expires)
    )
    session.flush()
    return secret


@dataclass(frozen=True)
class Principal:
    """Who is asking: the authenticated user, their role and organisation."""

    user_id: uuid.UUID
    username: str
    role: Role
    org_id: uuid.UUID

    @property
    def is_staff(self) -> bool:
        """Editors and admins see every organisation's material."""
        return self.role in (Role.editor, Role.admin)


def principal_for(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=user.role, org_id=user.org_id)


def authenticate_token(session: Session, secret: str) -> Principal | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    now = datetime.now(UTC)
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return principal_for(token.user)
