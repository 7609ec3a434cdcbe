"""Storing renditions: deterministic keys ``derived/{asset_id}/{name}.{ext}`` and one row per (asset, name).

A rerun overwrites the same objects and updates the same rows (INSERT … ON CONFLICT DO UPDATE), so a step that
runs twice (redelivery, sweeper, editor retry) never duplicates anything.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from service.core.storage import get_storage
from service.db.asset import Rendition


def derived_prefix(asset_id: uuid.UUID) -> str:
    return f"derived/{asset_id}/"


def rendition_key(asset_id: uuid.UUID, name: str, ext: str) -> str:
    return f"{derived_prefix(asset_id)}{name}.{ext}"


def save(session: Session, asset_id: uuid.UUID, name: str, path: Path, *, key: str, mime: str,
         width: int | None = None, height: int | None = None, size: int | None = None) -> None:
    """Upload ``path`` to ``key`` and upsert the rendition row; ``size`` defaults to the file's size."""
    stored = get_storage().put_file(key, path, content_type=mime)
    upsert(session, asset_id, name, key=key, mime=mime, width=width, height=height,
           size=stored if size is None else size)


def upsert(session: Session, asset_id: uuid.UUID, name: str, *, key: str, mime: str, width: int | None,
           height: int | None, size: int) -> None:
    values = {"key": key, "mime": mime, "width": width, "height": height, "size": size}
    statement = insert(Rendition).values(id=uuid.uuid4(), asset_id=asset_id, name=name, **values)
    session.execute(statement.on_conflict_do_update(constraint="uq_rendition_asset_name",
                                                    set_={**values, "updated_at": func.now()}))
