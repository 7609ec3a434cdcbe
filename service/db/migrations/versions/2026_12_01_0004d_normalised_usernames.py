"""user names are stored in their one normalised form (NFKC, trimmed, case-folded), as login looks them up

Revision ID: 0004d
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004d"
down_revision: str | None = "0004c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normalise(name: str) -> str:
    # A copy of service.core.security.normalize_username as of this revision (migrations never import the app).
    return unicodedata.normalize("NFKC", name).strip().casefold()


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, username FROM user_account")).all()
    taken: dict[str, str] = {}
    for _, name in rows:
        key = _normalise(name)
        if key in taken:
            raise RuntimeError(f"user names {taken[key]!r} and {name!r} are the same account once normalised; "
                               "rename one (mediadesk user …) and migrate again")
        taken[key] = name
    for user_id, name in rows:
        if _normalise(name) != name:
            bind.execute(sa.text("UPDATE user_account SET username = :name WHERE id = :id"),
                         {"name": _normalise(name), "id": user_id})


def downgrade() -> None:
    pass  # the original spellings are not kept (with the older code, users then type their name in lower case)
