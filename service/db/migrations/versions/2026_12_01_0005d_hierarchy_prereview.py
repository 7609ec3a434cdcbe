"""hierarchy: campaign pre-review flags (prereview, direct_submissions) and submission_prereview (a province's
forward / return of a member's submission)

Revision ID: 0005d
Revises: 0005b
Create Date: 2026-12-01 15:03:09.432296
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005d"
down_revision: str | None = "0005b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission_prereview",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "forwarded", "returned", name="prereview_state", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by_user_id", sa.Uuid(), nullable=True),
        sa.Column("by_org_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_org_id"],
            ["organization.id"],
            name=op.f("fk_submission_prereview_by_org_id_organization"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_submission_prereview_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_prereview_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission_prereview")),
    )
    op.create_index(op.f("ix_submission_prereview_state"), "submission_prereview", ["state"], unique=False)
    op.add_column("campaign", sa.Column("prereview", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("campaign", sa.Column("direct_submissions", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("campaign", "direct_submissions")
    op.drop_column("campaign", "prereview")
    op.drop_index(op.f("ix_submission_prereview_state"), table_name="submission_prereview")
    op.drop_table("submission_prereview")
