"""The access matrix's vocabulary: a row (``Case``), the web-page row helper and the expectation strings the rows
share (one token per role in ``ROLES`` order; see tests/security/matrix.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.security.world import ROLES


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    state: str
    expect: str
    path: dict[str, str] = field(default_factory=dict)  # route parameter -> world id name
    json: dict[str, Any] | None = None  # string values "@name" are replaced by world ids
    params: dict[str, str] = field(default_factory=dict)  # same "@name" substitution
    listed: str | None = None  # world id that a list response must (not) contain
    headers: dict[str, str] = field(default_factory=dict)  # "@meta:<submission>" builds a tus Upload-Metadata
    content: bytes | None = None
    fresh: dict[str, str] = field(default_factory=dict)  # route parameter -> factory run anew for every role
    cookie: bool = False  # a web page: each role signs in with its password (cookie session + CSRF token)

    def __post_init__(self) -> None:
        if len(self.expect.split()) != len(ROLES):
            raise ValueError(f"{self.method} {self.route}: expect needs {len(ROLES)} tokens, got {self.expect!r}")

    @property
    def label(self) -> str:
        return f"{self.method} {self.route} [{self.state}]"

    def expectations(self) -> dict[str, str]:
        return dict(zip(ROLES, self.expect.split(), strict=True))


def page(method: str, route: str, state: str, expect: str, **kwargs: Any) -> Case:
    """A web page or form action, requested with each role's cookie session (and its CSRF token)."""
    return Case(method, route, state, expect, cookie=True, **kwargs)


PUBLIC = "ok ok ok ok ok ok ok"
TUS = {"Tus-Resumable": "1.0.0"}
OWN_ORG_OR_STAFF = "401 ok no ok no no ok"
STAFF_ONLY = "401 no no ok no no ok"
ADMIN_ONLY = "401 no no no no no ok"
STAFF_PAGE = "login no no ok no no ok"
STAFF_PAGE_GATE = "login no no in no no in"
OUTLET_X = "401 no no no ok no ok"
OUTLET_PAGE = "login no no no ok ok ok"
OUTLET_X_PAGE = "login no no no ok no ok"
SIGNED_IN = "401 ok ok ok ok ok ok"
ADMIN_PAGE = "login no no no no no ok"
ADMIN_PAGE_GATE = "login no no no no no in"
NEW_CAMPAIGN = {"name": "@fresh:new_name", "year": 2025, "week_start": "2025-05-11", "week_end": "2025-05-17"}
#: A report's documents are added and removed by its own organisation's submitters only (staff see, never edit).
OWN_SUBMITTERS = "401 ok no no no no no"
