"""each file has its own headline (the caption column already exists): per-file identity in the portal

Revision ID: 0004f
Revises: 0003
Create Date: 2026-12-01 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004f"
down_revision: str | None = "0004e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("asset", sa.Column("headline", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("asset", "headline")
