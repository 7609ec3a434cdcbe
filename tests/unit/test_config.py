"""Settings refuse default secrets outside development."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from service.core.config import DEV_SECRET, Settings

KEY = secrets.token_hex(32)
S3 = {"s3_access_key": "app-" + secrets.token_hex(4), "s3_secret_key": secrets.token_urlsafe(30)}


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ValidationError, match="MEDIADESK_SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET, database_url="postgresql://x", redis_url="redis://x",
                 s3_endpoint="s3:9000", **S3)


def test_production_requires_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "S3_ENDPOINT"):
        monkeypatch.delenv(f"MEDIADESK_{name}", raising=False)
    with pytest.raises(ValidationError, match="MEDIADESK_DATABASE_URL"):
        Settings(env="production", secret_key=KEY, **S3)


def test_production_accepts_real_settings() -> None:
    settings = Settings(env="production", secret_key=KEY, database_url="postgresql://x", redis_url="redis://x",
                        s3_endpoint="s3:9000", **S3)
    assert settings.env == "production"


def test_development_allows_defaults() -> None:
    assert Settings(env="development").secret_key == DEV_SECRET
