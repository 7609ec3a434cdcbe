"""asset_hash: 11 bands of 23–24 bits (kind folded into the value) replace the 16 chunks of 16 bits for MIH lookups

Revision ID: 0005i
Revises: 0005g
Create Date: 2026-12-01 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005i"
down_revision: str | None = "0005g"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDTHS = (24, 24, 24, 23, 23, 23, 23, 23, 23, 23, 23)
VIDEO_BAND = 1 << 24
COVERED = ["asset_id", "position", "pdq"]
OLD_COVERED = ["kind", "asset_id", "position", "pdq"]


def upgrade() -> None:
    for i in range(16):
        op.drop_index(f"ix_asset_hash_c{i}", table_name="asset_hash")
    for i in range(len(WIDTHS)):
        op.add_column("asset_hash", sa.Column(f"b{i}", sa.Integer(), nullable=True))
    starts = [sum(WIDTHS[:i]) + 1 for i in range(len(WIDTHS))]
    op.execute("UPDATE asset_hash SET " + ", ".join(
        f"b{i} = CAST(CAST(substring(pdq FROM {start} FOR {width}) AS bit({width})) AS integer)"
        f" + CASE WHEN kind = 'video' THEN {VIDEO_BAND} ELSE 0 END"
        for i, (start, width) in enumerate(zip(starts, WIDTHS, strict=True))))
    for i in range(len(WIDTHS)):
        op.alter_column("asset_hash", f"b{i}", nullable=False)
        op.create_index(f"ix_asset_hash_b{i}", "asset_hash", [f"b{i}"], unique=False, postgresql_include=COVERED)
    for i in range(16):
        op.drop_column("asset_hash", f"c{i}")


def downgrade() -> None:
    for i in range(len(WIDTHS)):
        op.drop_index(f"ix_asset_hash_b{i}", table_name="asset_hash")
    for i in range(16):
        op.add_column("asset_hash", sa.Column(f"c{i}", sa.Integer(), nullable=True))
    op.execute("UPDATE asset_hash SET " + ", ".join(
        f"c{i} = CAST(CAST(substring(pdq FROM {i * 16 + 1} FOR 16) AS bit(16)) AS integer)" for i in range(16)))
    for i in range(16):
        op.alter_column("asset_hash", f"c{i}", nullable=False)
        op.create_index(f"ix_asset_hash_c{i}", "asset_hash", [f"c{i}"], unique=False,
                        postgresql_include=OLD_COVERED)
    for i in range(len(WIDTHS)):
        op.drop_column("asset_hash", f"b{i}")
