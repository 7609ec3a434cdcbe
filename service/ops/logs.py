"""Structured logs: one JSON object per line carrying the request id, asset id and pipeline step.

The three ids live in context variables, so every log call made while handling a request (including in the
threadpool FastAPI runs sync endpoints in) or while running a step carries them without being passed around.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
asset_id_var: ContextVar[str | None] = ContextVar("asset_id", default=None)
step_var: ContextVar[str | None] = ContextVar("step", default=None)

_CONTEXT = {"request_id": request_id_var, "asset_id": asset_id_var, "step": step_var}
#: LogRecord attributes that are not the caller's ``extra=`` fields.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


@contextmanager
def bind(**ids: str | None) -> Iterator[None]:
    """Set ``request_id`` / ``asset_id`` / ``step`` for the enclosed code, restoring the previous values after."""
    tokens = [(_CONTEXT[name], _CONTEXT[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_ids() -> dict[str, str]:
    return {name: value for name, var in _CONTEXT.items() if (value := var.get()) is not None}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", request_id?, asset_id?, step?, extra fields…, "exc"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **current_ids(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines that still show the ids, for development."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{key}={value}" for key, value in current_ids().items())
        return f"{line} [{ids}]" if ids else line


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(log_format: str, level: str = "INFO") -> None:
    """Route the root logger to stderr in ``log_format``; idempotent (replaces our own handler only)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mediadesk", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler._mediadesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
