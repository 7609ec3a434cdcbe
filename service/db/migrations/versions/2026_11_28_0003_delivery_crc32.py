"""delivery copies keep their CRC-32, so a package can copy their bytes server-side

Revision ID: 0003
Revises: 0002c
Create Date: 2026-11-28 14:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL on rows made before this revision: ensure_delivery treats them as stale and remakes them once.
    op.add_column("delivery_file", sa.Column("crc32", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("delivery_file", "crc32")
