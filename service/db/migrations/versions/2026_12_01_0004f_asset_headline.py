"""each file has its own headline (the caption column already exists), and a replacement upload names the returned
file it replaces: per-file identity

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
    op.add_column("asset", sa.Column("replaces_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f("fk_asset_replaces_id_asset"), "asset", "asset", ["replaces_id"], ["id"],
                          ondelete="SET NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("fk_asset_replaces_id_asset"), "asset", type_="foreignkey")
    op.drop_column("asset", "replaces_id")
    op.drop_column("asset", "headline")
