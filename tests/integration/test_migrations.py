"""The Alembic migrations produce exactly the schema the models declare (``alembic check``)."""

from __future__ import annotations

from alembic import command

from service.core.embedded import EmbeddedServers
from service.db.migrate import alembic_config


def test_models_and_migrations_agree(servers: EmbeddedServers) -> None:
    command.check(alembic_config(servers.postgres.url))  # raises if autogenerate would emit operations
