"""similar_shot: one row per basis (hash from dedupe, visual from the image embeddings), distance or similarity;
asset (campaign_id, capture_time) bounds the visual candidates to photos taken within minutes of each other

Revision ID: 0005j
Revises: 0005i
Create Date: 2026-12-01 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005j"
down_revision: str | None = "0005i"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("similar_shot", sa.Column("basis", sa.String(length=10), server_default="hash", nullable=False))
    op.add_column("similar_shot", sa.Column("similarity", sa.Float(), nullable=True))
    op.alter_column("similar_shot", "distance", existing_type=sa.SmallInteger(), nullable=True)
    op.drop_constraint("pk_similar_shot", "similar_shot", type_="primary")
    op.create_primary_key("pk_similar_shot", "similar_shot", ["asset_id", "other_id", "basis"])
    op.create_index("ix_asset_campaign_capture_time", "asset", ["campaign_id", "capture_time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_asset_campaign_capture_time", table_name="asset")
    op.execute("DELETE FROM similar_shot WHERE basis <> 'hash'")
    op.drop_constraint("pk_similar_shot", "similar_shot", type_="primary")
    op.create_primary_key("pk_similar_shot", "similar_shot", ["asset_id", "other_id"])
    op.alter_column("similar_shot", "distance", existing_type=sa.SmallInteger(), nullable=False)
    op.drop_column("similar_shot", "similarity")
    op.drop_column("similar_shot", "basis")
