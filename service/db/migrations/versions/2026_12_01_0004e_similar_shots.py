"""similar shots: pairs of photos of one moment that are not duplicates of each other

Revision ID: 0004e
Revises: 0003
Create Date: 2026-12-01 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004e"
down_revision: str | None = "0004d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "similar_shot",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("other_id", sa.Uuid(), nullable=False),
        sa.Column("distance", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["other_id"], ["asset.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("asset_id", "other_id"),
    )
    op.create_index(op.f("ix_similar_shot_other_id"), "similar_shot", ["other_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_similar_shot_other_id"), table_name="similar_shot")
    op.drop_table("similar_shot")
