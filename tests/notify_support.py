"""Real receivers for the notification tests: an SMTP server (aiosmtpd) and an HTTP robot receiver that answers like
WeCom / DingTalk (``{"errcode": 0}``), or fails a given number of times first."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from service.core.config import get_settings
from service.core.db import session_scope
from service.core.events import EventKind, publish
from service.db.notify import NotificationDelivery
from service.notify import dispatch, preferences


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


class SmtpSink:
    """A real SMTP server on a loopback port (plain, no AUTH) that keeps every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.inbox.lock:
            return [m for m in self.inbox.messages if m["To"] == address]


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    answered: int


@dataclass
class RobotReceiver:
    """An HTTP server standing in for the WeCom / DingTalk robot endpoints (same request and answer formats)."""

    fail_first: dict[str, int] = field(default_factory=dict)  # path -> how many posts answer 500 first
    received: list[Received] = field(default_factory=list)

    def start(self) -> RobotReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                failing = receiver.fail_first.get(parts.path, 0)
                status = 500 if failing > 0 else 200
                if failing:
                    receiver.fail_first[parts.path] = failing - 1
                receiver.received.append(Received(parts.path, query, body, status))
                answer = b'{"errcode":0,"errmsg":"ok"}' if status == 200 else b"busy"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


def notify_env(smtp: SmtpSink) -> dict[str, str]:
    """Settings for processes that send: the test's SMTP server, fast retries."""
    return {"MEDIADESK_SMTP_HOST": "127.0.0.1", "MEDIADESK_SMTP_PORT": str(smtp.port),
            "MEDIADESK_SMTP_SECURITY": "none", "MEDIADESK_SMTP_FROM": "mediadesk@test.invalid",
            "MEDIADESK_NOTIFY_RETRY_BASE_SECONDS": "1", "MEDIADESK_NOTIFY_MAX_ATTEMPTS": "5"}


def dispatch_and_send() -> list[str]:
    """What the worker does, in-process: dispatch every pending event, then send each new delivery once."""
    to_send: list[Any] = []
    while True:  # every batch, as the worker does (a full test database holds more than one batch of events)
        with session_scope() as session:
            taken, sends = dispatch.dispatch_pending(session)
        to_send += sends
        if taken < dispatch.BATCH:
            break
    outcomes = []
    for delivery_id in to_send:
        with session_scope() as session:
            outcome, _ = dispatch.send(session, delivery_id)
        outcomes.append(outcome.value)
    return outcomes


def deliveries(**where: Any) -> list[NotificationDelivery]:
    with session_scope() as session:
        query = select(NotificationDelivery)
        for name, value in where.items():
            query = query.where(getattr(NotificationDelivery, name) == value)
        rows = list(session.scalars(query.order_by(NotificationDelivery.created_at)))
        session.expunge_all()
        return rows


def address() -> str:
    return f"u{uuid.uuid4().hex[:10]}@school.test"


# --- fixtures shared by the notification test modules (import them by name) ---------------------------------


@pytest.fixture(scope="module")
def smtp(servers: object) -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def robot() -> Iterator[RobotReceiver]:
    receiver = RobotReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def smtp_settings(smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in notify_env(smtp).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def with_email(actor: Any) -> str:
    mail = address()
    with session_scope() as session:
        preferences.save_profile(session, user_id=actor.user_id, email=mail, language=None)
    return mail


def publish_to(org_id: uuid.UUID, kind: EventKind = EventKind.release_published, title: str = "开幕式精选",
               dedupe_key: str | None = None) -> None:
    with session_scope() as session:
        publish(session, kind, subject_kind="collection", subject_id=uuid.uuid4(), org_id=org_id,
                data={"title": title}, dedupe_key=dedupe_key)
