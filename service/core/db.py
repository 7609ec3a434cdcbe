"""Engine and sessions. Services only flush; the request dependency (or the task wrapper) commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from service.core.config import get_settings


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    settings = get_settings()
    settings.require_servers()
    engine = create_engine(
        url or settings.database_url or "",
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=10,
        connect_args={"connect_timeout": 5},
    )
    return engine


@lru_cache(maxsize=4)
def _sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


def new_session() -> Session:
    return _sessionmaker()()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work for CLI commands and tasks: commit on success, roll back on error."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engines() -> None:
    """Forget pooled connections (after fork, or when tests switch databases)."""
    for factory in (get_engine, _sessionmaker):
        factory.cache_clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Jobs buffered during the transaction are sent only once the rows they point at are visible.
    from service.core import tasks

    tasks.flush_after_commit(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    from service.core import tasks

    tasks.discard(session)
