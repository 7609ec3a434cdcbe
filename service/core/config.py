"""One Settings object for the whole service (env prefix ``MEDIADESK_``).

Resolution order for the three servers (database, broker, object storage):
explicit environment variable > ``{data_dir}/run/endpoints.json`` written by ``mediadesk up`` > nothing (error).
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - refused outside development, see validator
DEV_S3_ACCESS_KEY = "mediadesk-dev"
DEV_S3_SECRET_KEY = "mediadesk-dev-secret"  # noqa: S105 - the embedded S3 server's key, refused outside development


#: Values everyone knows: the development defaults, MinIO's default user and every value of ``infra/.env.example``
#: (its secrets also contain ``change-me``). Refused as credentials in production; a test keeps this in step with
#: the example file.
PLACEHOLDERS = frozenset({
    DEV_SECRET, DEV_S3_ACCESS_KEY, DEV_S3_SECRET_KEY, "minioadmin", "admin",
    # infra/.env.example
    "minio-root", "mediadesk-app", "mediadesk", "localhost:9000", "http://localhost:8080", "./models", "3",
})


def placeholder(value: str) -> bool:
    """True for a value that is known to everyone: a ``change-me`` placeholder or an example/default value."""
    return "change-me" in value.casefold() or value.strip() in PLACEHOLDERS


def entropy_bits(value: str) -> float:
    """Shannon entropy of the characters times the length: ``"x" * 40`` has none, 64 hex characters about 240; a
    repeated pattern (``"0123456789" * 4``) counts as one repetition only."""
    if not value:
        return 0.0
    period = next(p for p in range(1, len(value) + 1) if len(value) % p == 0 and value[:p] * (len(value) // p) == value)
    unit = value[:period]
    counts = Counter(unit)
    return -sum(n * math.log2(n / len(unit)) for n in counts.values())


class Settings(BaseSettings):
    """Every tunable of mediadesk. Production sets ``MEDIADESK_ENV=production`` and real secrets."""

    model_config = SettingsConfigDict(env_prefix="MEDIADESK_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=Path(".mediadesk"), description="Embedded servers' data, run files, temp files")
    secret_key: str = Field(default=DEV_SECRET, description="Signs session cookies and CSRF tokens")

    database_url: str | None = Field(default=None, description="postgresql+psycopg://user:pass@host:port/db")
    redis_url: str | None = Field(default=None, description="redis://host:port/0 (Celery broker and rate limits)")
    s3_endpoint: str | None = Field(default=None, description="host:port of the S3 server (MinIO in production)")
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_bucket: str = "mediadesk"
    s3_public_endpoint: str | None = Field(
        default=None, description="host:port clients use for presigned URLs when it differs from s3_endpoint"
    )

    trusted_proxies: str = Field(
        default="", description="Comma-separated addresses/networks of reverse proxies whose X-Forwarded-For is "
        "believed (e.g. the ingress network 10.0.0.0/8); empty: the connecting address is the client"
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL clients reach the API at")
    presign_ttl_seconds: int = Field(
        default=60, ge=10, le=60, description="Lifetime of presigned download URLs; at most 60 s, so that a revoked "
        "outlet's or withdrawn file's links stop working within a minute (a transfer already started completes)"
    )
    stream_renditions: bool = Field(
        default=False, description="Stream renditions through the API instead of redirecting (S3 not reachable)"
    )

    # Uploads (tus)
    upload_part_size: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024, description="S3 multipart part size")
    upload_parts_in_flight: int = Field(default=2, ge=1, le=8, description="S3 parts sent concurrently per PATCH")
    upload_expiry_hours: int = Field(default=48, ge=1, description="Unfinished uploads are aborted after this")
    max_file_size: int = Field(default=20 * 1024**3, description="Hard ceiling per file; campaigns may set lower")

    # Workers
    model_dir: Path | None = Field(default=None, description="Local folder with transformers models (offline)")
    worker_tmp_dir: Path | None = Field(default=None, description="Scratch space for ffmpeg and Pillow")
    ffmpeg_binary: str | None = Field(default=None, description="ffmpeg path; default PATH, then imageio-ffmpeg")
    ffmpeg_threads: int = Field(
        default=1, ge=0, le=64, description="Encoder threads per ffmpeg process (0: ffmpeg decides, i.e. every core "
        "it sees). One per task, with one media task per core, keeps the cores busy without oversubscribing them "
        "(docs/OPERATIONS.md, Sizing)"
    )
    hls_low_rungs: bool = Field(
        default=False, description="Also encode HLS rungs below the 720p proxy (360p) in the upload's ffmpeg command: "
        "≈ +0.12 CPU-s per second of video, ≈ +10 worker cores for the week (docs/OPERATIONS.md, Sizing). Off: the "
        "preview ladder is the proxy itself, cut into segments by stream copy"
    )
    sweeper_interval_seconds: int = 60
    sweeper_lost_after_seconds: int = Field(
        default=600, ge=30, description="A step queued this long is re-sent: its message may be lost (prefetched by a "
        "worker that was killed). Keep it above the longest queue wait at peak, or steps are sent twice (harmless)"
    )
    task_eager: bool = Field(default=False, description="Tests only: run Celery tasks in-process")

    # Inference runtime (ONNX Runtime sessions of models/base.py, which reads these same variables itself: models/
    # never imports service/). Set them per worker pool: an ml pool on a GPU machine needs no code change.
    ml_threads: int = Field(
        default=0, ge=0, description="Intra-op threads per ONNX Runtime session in this process; 0: the cores it may "
        "use divided by MEDIADESK_ML_CONCURRENCY, at least 1"
    )
    ml_concurrency: int = Field(
        default=0, ge=0, description="Processes of this worker pool, for the thread default; 0: one per core"
    )
    ml_providers: str = Field(
        default="auto", description="ONNX Runtime execution providers: auto (CUDA, ROCm, MIGraphX, DirectML, CoreML, "
        "OpenVINO when the installed onnxruntime has them, then CPU), cpu, or a comma-separated list of names"
    )

    login_rate_limit_per_minute: int = Field(
        default=10, ge=1, description="Password attempts per client address and (normalised) user name per minute"
    )
    login_rate_limit_per_address_per_minute: int = Field(
        default=30, ge=1, description="Password attempts per client address per minute, whatever the name"
    )
    token_failure_limit_per_minute: int = Field(
        default=30, ge=1, description="Wrong API tokens per client address per minute before 429 (all replicas)"
    )

    # Sign-in through an OpenID Connect provider (docs/ACCOUNTS.md); off while oidc_issuer is empty
    oidc_issuer: str = Field(default="", description="OpenID Connect issuer URL (its discovery document is read)")
    oidc_client_id: str = Field(default="", description="OpenID Connect client id registered with the provider")
    oidc_client_secret: str = Field(default="", description="OpenID Connect client secret")
    oidc_scopes: str = Field(default="openid profile email", description="Scopes requested at the provider")
    oidc_user_claim: str = Field(
        default="preferred_username", description="id_token claim matched to a user name (e.g. preferred_username)"
    )
    oidc_auto_create_org: str = Field(
        default="", description="Empty: unknown users are refused; else an organisation name where they are created "
        "as submitters"
    )

    # Observability (docs/OPERATIONS.md)
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line with request_id, asset_id and step"
    )
    log_level: str = Field(default="INFO", description="Root log level of API and worker processes")
    worker_metrics_port: int | None = Field(
        default=None, description="Serve the worker's Prometheus metrics on this port (unset: no exporter)"
    )
    worker_heartbeat_seconds: int = Field(
        default=15, ge=1, description="Job heartbeat period; a job is stale (re-sent by the sweeper) after 5 beats"
    )
    metrics_state_ttl_seconds: float = Field(
        default=15.0, ge=0, description="Cache for the queue-depth and assets-by-status gauges on /metrics"
    )
    otel_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP traces endpoint (http://collector:4318); unset: tracing off"
    )
    # Takedown (service/takedown, workers/purge.py)
    takedown_grace_days: float = Field(default=7, ge=0, description="Days between a takedown and the purge of its "
                                       "bytes and text (a legal hold stops the purge)")
    # Download portal
    portal_package_max_bytes: int = Field(default=10 * 1024**3, ge=1, description="Largest ZIP package one may ask for")
    portal_package_max_items: int = Field(default=2000, ge=1)
    portal_package_ttl_hours: int = Field(default=48, ge=1, description="Packages are deleted this long after built")
    portal_downloads_per_minute: int = Field(default=120, ge=1, description="Per user: files and package links")
    portal_packages_per_hour: int = Field(default=30, ge=1, description="Per user: package builds requested")
    portal_copyright: str = Field(
        default="职业教育活动周组委会 / Vocational Education Activity Week",
        description="Copyright notice written into delivered files",
    )

    # Notifications (service/notify, workers/notify.py; docs/REPORTING.md "Notifications")
    smtp_host: str | None = Field(
        default=None, description="SMTP server for e-mail notifications; unset outside production: each message is "
        "written to the mail folder instead (MEDIADESK_NOTIFY_MAIL_DIR)"
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL, 25 plain)")
    smtp_user: str | None = Field(default=None, description="SMTP login (unset: no AUTH)")
    smtp_password: str | None = Field(default=None, description="SMTP password")
    smtp_from: str = Field(default="mediadesk@localhost", description="From: address of notification e-mails")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls (upgrade after connecting), ssl (TLS from the start) or none"
    )
    smtp_timeout_seconds: float = Field(default=20, gt=0, description="Connect/send timeout of one SMTP delivery")
    notify_mail_dir: Path | None = Field(
        default=None, description="Maildir that receives e-mails when no SMTP server is set (default DATA_DIR/mail)"
    )
    notify_dispatch_interval_seconds: int = Field(
        default=30, ge=1, description="How often the dispatcher turns new events into notifications (beat)"
    )
    notify_max_attempts: int = Field(default=6, ge=1, description="Send attempts per e-mail or robot message")
    notify_retry_base_seconds: float = Field(
        default=30, ge=0, description="First retry delay of a failed send; doubles each attempt (with jitter)"
    )
    notify_digest_hour: int = Field(
        default=8, ge=0, le=23, description="Beijing hour at which daily digests go out"
    )
    notify_webhook_timeout_seconds: float = Field(default=10, gt=0, description="Timeout of one robot post")
    notify_retention_days: int = Field(
        default=180, ge=1, description="In-app notifications and finished deliveries older than this are deleted"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"MEDIADESK_TRUSTED_PROXIES: {part!r} is not an address or network ('*' is not "
                                 "allowed: it lets any client choose its own address)") from None
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.env == "production":
            if placeholder(self.secret_key) or len(self.secret_key) < 32 or entropy_bits(self.secret_key) < 100:
                raise ValueError("MEDIADESK_SECRET_KEY must be set to a random value of ≥ 32 characters in production "
                                 "(`openssl rand -hex 32`)")
            if (self.s3_secret_key is None or self.s3_access_key is None or placeholder(self.s3_secret_key)
                    or placeholder(self.s3_access_key) or entropy_bits(self.s3_secret_key) < 64):
                raise ValueError("MEDIADESK_S3_ACCESS_KEY/SECRET_KEY must be real credentials in production")
            for name in ("database_url", "redis_url"):
                password = urlsplit(getattr(self, name) or "").password
                if password is not None and placeholder(unquote(password)):
                    raise ValueError(f"MEDIADESK_{name.upper()} carries a placeholder password")
            for name in ("database_url", "redis_url", "s3_endpoint"):
                if not getattr(self, name):
                    raise ValueError(f"MEDIADESK_{name.upper()} is required in production")
        return self

    @property
    def mail_dir(self) -> Path:
        """Where e-mails are written when no SMTP server is configured."""
        return self.notify_mail_dir or self.data_dir / "mail"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def endpoints_file(self) -> Path:
        return self.run_dir / "endpoints.json"

    def with_embedded_endpoints(self) -> Settings:
        """Fill unset server URLs from the endpoints file that ``mediadesk up`` wrote."""
        if self.database_url and self.redis_url and self.s3_endpoint:
            return self
        try:
            found: dict[str, Any] = json.loads(self.endpoints_file.read_text())
        except FileNotFoundError:
            return self
        updates = {key: found[key] for key in _ENDPOINT_KEYS if getattr(self, key) is None and key in found}
        return self.model_copy(update=updates)

    def require_servers(self) -> None:
        missing = [
            f"MEDIADESK_{key.upper()}" for key in ("database_url", "redis_url", "s3_endpoint") if not getattr(self, key)
        ]
        if missing:
            raise RuntimeError(
                f"{', '.join(missing)} not set and no running instance found at {self.endpoints_file}; "
                "start one with `mediadesk up` or set the variables"
            )


_ENDPOINT_KEYS = ("database_url", "redis_url", "s3_endpoint", "s3_access_key", "s3_secret_key", "s3_bucket")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (environment + endpoints file)."""
    return Settings().with_embedded_endpoints()
