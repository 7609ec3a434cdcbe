"""Editors' saved queue filters (by name, per editor)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.core.errors import not_found
from service.core.security import Principal
from service.db.review import SavedFilter


def list_filters(session: Session, *, principal: Principal) -> list[SavedFilter]:
    return list(session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == principal.user_id).order_by(SavedFilter.name)
    ).all())


def save_filter(session: Session, *, principal: Principal, name: str, query: dict[str, Any]) -> SavedFilter:
    """Create or replace the caller's filter called ``name``."""
    saved = session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == principal.user_id, SavedFilter.name == name)
    )
    if saved is None:
        saved = SavedFilter(user_id=principal.user_id, name=name, query=query)
        session.add(saved)
    else:
        saved.query = query
    session.flush()
    return saved


def delete_filter(session: Session, *, principal: Principal, filter_id: uuid.UUID) -> None:
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != principal.user_id:
        raise not_found("saved filter")
    session.delete(saved)
    session.flush()
