"""Shared by the round-two probe tests (docs/SECURITY.md "Round two"): problem checks and stored rows."""


from __future__ import annotations

import uuid
from typing import Any

import httpx

from service.core.db import session_scope
from service.db.asset import Asset
from service.db.submission import Submission

PROBLEM = "application/problem+json"
PASSWORD = "probe-password-2026"  # noqa: S105 - a throwaway account on throwaway servers


def _submission_of(asset_id: uuid.UUID) -> uuid.UUID:
    with session_scope() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        return asset.submission_id


def _stored_submission(submission_id: uuid.UUID) -> Submission:
    with session_scope() as session:
        found = session.get(Submission, submission_id)
        assert found is not None
        session.expunge(found)
        return found


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body: dict[str, Any] = response.json()
    assert body["request_id"], body
    return body
