"""campaign limits on a report's documents: bytes and pages

Revision ID: 0005b
Revises: 0005a
Create Date: 2026-12-01 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005b"
down_revision: str | None = "0005a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("max_document_bytes", sa.BigInteger(), nullable=False,
                                        server_default=str(50 * 1024**2)))
    op.add_column("campaign", sa.Column("max_document_pages", sa.Integer(), nullable=False, server_default="300"))


def downgrade() -> None:
    op.drop_column("campaign", "max_document_pages")
    op.drop_column("campaign", "max_document_bytes")
