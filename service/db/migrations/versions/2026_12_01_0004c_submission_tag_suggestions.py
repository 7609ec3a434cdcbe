"""taxonomy tags matched in a submission's text are suggestions for the submission, not tags of each file

Revision ID: 0004c
Revises: 0003
Create Date: 2026-12-01 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004c"
down_revision: str | None = "0004a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("submission", sa.Column("suggested_tags", postgresql.JSONB(astext_type=sa.Text()),
                                          server_default="[]", nullable=False))
    # Text matches used to be copied onto every file at 0.60 (source "metadata"); they now live on the submission.
    op.execute("DELETE FROM asset_tag WHERE source = 'metadata'")
    # ... and from the review queue's copy, so the asset API and the queue agree (both sides read the old value).
    op.execute("""
        UPDATE review SET
          tags = COALESCE((SELECT jsonb_agg(t) FROM jsonb_array_elements(tags) t WHERE t->>'source' <> 'metadata'),
                          '[]'::jsonb),
          tag_names = ARRAY(SELECT t->>'name' FROM jsonb_array_elements(tags) t WHERE t->>'source' <> 'metadata')
        WHERE tags @> '[{"source": "metadata"}]'::jsonb
    """)


def downgrade() -> None:
    op.drop_column("submission", "suggested_tags")
