"""job rows record the CPU seconds their step used (process and its child processes, e.g. ffmpeg)

Revision ID: 0004g
Revises: 0003
Create Date: 2026-12-01 12:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004g"
down_revision: str | None = "0004f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL for steps that ran before this revision (and for steps that did not finish).
    op.add_column("job", sa.Column("cpu_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("job", "cpu_seconds")
