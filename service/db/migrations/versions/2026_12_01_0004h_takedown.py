"""takedown records (grace period, legal hold, purge summary without content); collections may keep GPS on purpose;
restoring a revocation keeps its row

Revision ID: 0004h
Revises: 0003
Create Date: 2026-12-01 13:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004h"
down_revision: str | None = "0004g"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "takedown",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.Enum("requested", "taken_down", "purged", "declined", name="takedown_status",
                                    native_enum=False, length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("taken_down_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purge_kind", sa.String(length=20), nullable=True),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_takedown_campaign_id_campaign"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_takedown_org_id_organization"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["requested_by"], ["user_account.id"],
                                name=op.f("fk_takedown_requested_by_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"],
                                name=op.f("fk_takedown_decided_by_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedown")),
    )
    op.create_index(op.f("ix_takedown_asset_id"), "takedown", ["asset_id"], unique=False)
    op.create_index(op.f("ix_takedown_status"), "takedown", ["status"], unique=False)
    op.create_index(op.f("ix_takedown_purge_after"), "takedown", ["purge_after"], unique=False)
    op.add_column("collection", sa.Column("keep_location", sa.Boolean(), server_default="false", nullable=False))
    op.add_column("collection", sa.Column("keep_location_by", sa.Uuid(), nullable=True))
    op.add_column("collection", sa.Column("keep_location_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f("fk_collection_keep_location_by_user_account"), "collection", "user_account",
                          ["keep_location_by"], ["id"], ondelete="SET NULL")
    op.add_column("portal_revocation", sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("portal_revocation", sa.Column("restored_by", sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f("fk_portal_revocation_restored_by_user_account"), "portal_revocation", "user_account",
                          ["restored_by"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("fk_portal_revocation_restored_by_user_account"), "portal_revocation", type_="foreignkey")
    op.drop_column("portal_revocation", "restored_by")
    op.drop_column("portal_revocation", "restored_at")
    op.drop_constraint(op.f("fk_collection_keep_location_by_user_account"), "collection", type_="foreignkey")
    op.drop_column("collection", "keep_location_at")
    op.drop_column("collection", "keep_location_by")
    op.drop_column("collection", "keep_location")
    op.drop_index(op.f("ix_takedown_purge_after"), table_name="takedown")
    op.drop_index(op.f("ix_takedown_status"), table_name="takedown")
    op.drop_index(op.f("ix_takedown_asset_id"), table_name="takedown")
    op.drop_table("takedown")
