"""Shared set-up for the portal tests: an editor, outlets, a submitter and released material."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from service.db.org import Role
from tests.support import Actor, make_actor, make_campaign, make_released_asset


@dataclass
class Desk:
    editor: Actor
    outlet: Actor
    other_outlet: Actor
    submitter: Actor
    campaign: uuid.UUID


def desk() -> Desk:
    return Desk(make_actor(Role.editor), make_actor(Role.outlet), make_actor(Role.outlet), make_actor(Role.submitter),
                make_campaign())


def release(client: TestClient, editor: Actor, asset_ids: list[uuid.UUID], **fields: Any) -> dict[str, Any]:
    """Create a collection released a minute ago (unless ``release_at``/``embargo_until`` say otherwise)."""
    body: dict[str, Any] = {"title": "活动周·全国启动仪式", "description": "启动仪式精选图片",
                            "asset_ids": [str(a) for a in asset_ids],
                            "release_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}
    body.update({k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()})
    response = client.post("/api/v1/collections", json=body, headers=editor.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def released_asset(d: Desk, **kwargs: Any) -> uuid.UUID:
    return make_released_asset(d.submitter, d.campaign, **kwargs)
