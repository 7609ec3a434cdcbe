"""Sign-in through an OpenID Connect provider: authorization code flow with PKCE (S256), state and nonce.

The provider's discovery document names its endpoints and JWKS; the id_token's signature is checked against that
JWKS (RS256/ES256 only, never ``none`` or HMAC), then ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce``. The claim
``oidc_user_claim`` (e.g. ``preferred_username``) names an existing, active user; the provider's ``sub`` is bound to
that account at the first login and must match afterwards. Unknown users are refused unless
``oidc_auto_create_org`` names the organisation where they are created as submitters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.admin import service as admin
from service.core import audit
from service.core.config import get_settings
from service.core.kv import get_redis
from service.core.security import normalize_username, principal_for
from service.db.org import Role, User

STATE_TTL_SECONDS = 600
ALGORITHMS = ("RS256", "ES256")
CALLBACK_PATH = "/login/oidc/callback"
_STATE_PREFIX = "oidc:state:"
_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class OidcError(Exception):
    """A sign-in the provider or our checks refused; ``code`` names a message on the login page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enabled() -> bool:
    settings = get_settings()
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _get_json(url: str) -> dict[str, Any]:
    cached = _cache.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = httpx.get(url, timeout=10)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError("provider_unreachable") from exc
    _cache[url] = (time.monotonic() + 300, data)
    return data


def discovery() -> dict[str, Any]:
    issuer = get_settings().oidc_issuer.rstrip("/")
    doc = _get_json(issuer + "/.well-known/openid-configuration")
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise OidcError("provider_mismatch")
    return doc


def redirect_uri() -> str:
    return get_settings().public_url.rstrip("/") + CALLBACK_PATH


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_url(next_path: str) -> str:
    """Where to send the browser: the provider's authorize endpoint with state, nonce and a PKCE challenge."""
    settings = get_settings()
    doc = discovery()
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    get_redis().set(_STATE_PREFIX + state, json.dumps({"nonce": nonce, "verifier": verifier, "next": next_path}),
                    ex=STATE_TTL_SECONDS)
    query = urlencode({"response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": redirect_uri(),
                       "scope": settings.oidc_scopes, "state": state, "nonce": nonce,
                       "code_challenge": _challenge(verifier), "code_challenge_method": "S256"})
    return f"{doc['authorization_endpoint']}?{query}"


@dataclass(frozen=True)
class SignIn:
    user: User
    next_path: str


def _claims(id_token: str, nonce: str) -> dict[str, Any]:
    settings = get_settings()
    doc = discovery()
    keys = KeySet.import_key_set(_get_json(doc["jwks_uri"]))  # type: ignore[arg-type]
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
        registry = jwt.JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": doc["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id}, exp={"essential": True},
            iat={"essential": True}, sub={"essential": True}, nonce={"essential": True, "value": nonce})
        registry.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise OidcError("token_invalid") from exc
    azp = token.claims.get("azp")
    aud = token.claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and azp != settings.oidc_client_id:
        raise OidcError("token_invalid")
    return dict(token.claims)


def complete(session: Session, *, code: str, state: str, ip: str | None = None) -> SignIn:
    """Exchange the code (with the PKCE verifier), check the id_token, and find the user it names."""
    raw = get_redis().getdel(_STATE_PREFIX + state) if state and len(state) <= 100 else None
    if raw is None:
        raise OidcError("state_invalid")  # unknown, reused or expired: a forged or replayed callback
    saved = json.loads(str(raw))
    settings = get_settings()
    doc = discovery()
    try:
        response = httpx.post(doc["token_endpoint"], timeout=10, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(),
            "code_verifier": saved["verifier"], "client_id": settings.oidc_client_id,
        }, auth=(settings.oidc_client_id, settings.oidc_client_secret))
        response.raise_for_status()
        id_token = str(response.json()["id_token"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        raise OidcError("token_exchange_failed") from exc
    claims = _claims(id_token, saved["nonce"])
    name = normalize_username(str(claims.get(settings.oidc_user_claim) or ""))
    subject = str(claims["sub"])
    user = session.scalar(select(User).where(User.oidc_subject == subject))
    if user is None and name:
        user = session.scalar(select(User).where(User.username == name))
        if user is not None and user.oidc_subject not in (None, subject):
            raise OidcError("subject_mismatch")  # another identity already owns this account
    if user is None:
        if not (settings.oidc_auto_create_org and name):
            raise OidcError("unknown_user")
        user = admin.create_user(session, username=name, role=Role.submitter, org=settings.oidc_auto_create_org)
        audit.record(session, actor=None, action="user.create", target_kind="user", target_id=user.id,
                     org_id=user.org_id, ip=ip, detail={"role": Role.submitter.value, "via": "oidc"})
    if not user.is_active:
        raise OidcError("user_inactive")
    if user.oidc_subject is None:
        user.oidc_subject = subject
        session.flush()
        audit.record(session, actor=principal_for(user), action="user.oidc_bind", target_kind="user",
                     target_id=user.id, org_id=user.org_id, ip=ip, detail={"issuer": settings.oidc_issuer})
    return SignIn(user=user, next_path=str(saved.get("next") or ""))
