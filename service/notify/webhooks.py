"""Team-chat robots (WeCom 企业微信 and DingTalk 钉钉 group robots): URL rules, message formats, signing, posting.

SSRF guard (ARCHITECTURE.md security rules): a robot URL must be ``https`` to a host whose every address is public
(checked when saved and again before each post, redirects never followed). Only under ``MEDIADESK_ENV`` test or
development is ``http://127.0.0.1:<port>`` also accepted, for a local receiver.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
import time
import urllib.parse
from typing import Any

import httpx

from service.core.config import get_settings
from service.core.errors import Problem
from service.db.notify import WebhookKind


class WebhookError(Exception):
    """A post that did not arrive (network, HTTP status, or the robot's own ``errcode``): retried."""


def _refused(detail_zh: str, detail_en: str) -> Problem:
    return Problem(422, "webhook_url_refused", f"机器人地址不可用：{detail_zh}", f"robot URL refused: {detail_en}")


def check_url(url: str) -> urllib.parse.SplitResult:
    """Refuse a robot URL that could reach inside our network; returns it parsed."""
    parts = urllib.parse.urlsplit(url.strip())
    if len(url) > 1000 or parts.username or parts.password or not parts.hostname:
        raise _refused("格式不正确", "malformed")
    local_ok = get_settings().env in ("test", "development")
    if parts.scheme == "http" and local_ok and parts.hostname == "127.0.0.1":
        return parts
    if parts.scheme != "https":
        raise _refused("只接受 https 地址", "only https is accepted")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _refused("无法解析主机名", "the host name does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            if local_ok and address.is_loopback and parts.hostname == "127.0.0.1":
                continue
            raise _refused("指向内部网络", "it points into a private network")
    return parts


def masked(url: str) -> str:
    """The URL as shown back: host and path, the token in the query cut to its last four characters."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    shown = "&".join(f"{k}=…{v[-4:]}" if len(v) > 4 else f"{k}=…" for k, v in query)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, shown, ""))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")), URL-encoded by the caller."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payload(kind: WebhookKind, title: str, text: str) -> dict[str, Any]:
    if kind == WebhookKind.wecom:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def signed_url(kind: WebhookKind, url: str, secret: str | None, now: float | None = None) -> str:
    if kind != WebhookKind.dingtalk or not secret:
        return url
    timestamp = int((now if now is not None else time.time()) * 1000)
    sign = urllib.parse.quote_plus(dingtalk_sign(secret, timestamp))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def post(kind: WebhookKind, url: str, secret: str | None, body: dict[str, Any]) -> None:
    """Post one robot message; raise ``WebhookError`` unless the robot accepted it."""
    check_url(url)  # again: DNS may have changed since the URL was saved
    target = signed_url(kind, url, secret)
    try:
        response = httpx.post(target, json=body, timeout=get_settings().notify_webhook_timeout_seconds,
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise WebhookError(f"HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise WebhookError("the robot's answer is not JSON") from None
    if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
        message = answer.get("errmsg") if isinstance(answer, dict) else answer
        raise WebhookError(f"robot refused: {str(message)[:200]}")
