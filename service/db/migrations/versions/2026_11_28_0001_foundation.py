"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-28 11:37:04.093259
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for extension in ("vector", "pg_trgm", "btree_gist"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
    op.create_table(
        "campaign",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("theme", sa.String(length=200), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("week_end", sa.Date(), nullable=False),
        sa.Column("plan_deadline", sa.Date(), nullable=True),
        sa.Column("summary_deadline", sa.Date(), nullable=True),
        sa.Column("upload_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("upload_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("max_image_bytes", sa.BigInteger(), nullable=False),
        sa.Column("max_video_bytes", sa.BigInteger(), nullable=False),
        sa.Column("org_quota_bytes", sa.BigInteger(), nullable=False),
        sa.Column("min_image_pixels", sa.Integer(), nullable=False),
        sa.Column("min_video_height", sa.Integer(), nullable=False),
        sa.Column("min_video_seconds", sa.Double(), nullable=False),
        sa.Column("max_video_seconds", sa.Double(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("name", name=op.f("uq_campaign_name")),
    )
    op.create_table(
        "organization",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "province",
                "committee",
                "school",
                "department",
                "outlet",
                "ministry",
                name="org_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("quota_bytes", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organization.id"], name=op.f("fk_organization_parent_id_organization"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("name", name=op.f("uq_organization_name")),
    )
    op.create_index(op.f("ix_organization_region_code"), "organization", ["region_code"], unique=False)
    op.create_table(
        "user_account",
        sa.Column("username", sa.String(length=120), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "role",
            sa.Enum("submitter", "editor", "outlet", "admin", name="user_role", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_user_account_org_id_organization"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_index(op.f("ix_user_account_org_id"), "user_account", ["org_id"], unique=False)
    op.create_table(
        "api_token",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_api_token_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_table(
        "submission",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("activity", sa.String(length=100), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("theme_tags", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("credits", sa.String(length=300), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_submission_campaign_id_campaign"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_submission_created_by_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_submission_org_id_organization"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    op.create_index(op.f("ix_submission_campaign_id"), "submission", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_submission_org_id"), "submission", ["org_id"], unique=False)
    op.create_table(
        "asset",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Enum("image", "video", name="asset_kind", native_enum=False, length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "uploading",
                "stored",
                "processing",
                "ready",
                "rejected_invalid",
                "failed",
                name="asset_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_detail", sa.Text(), nullable=True),
        sa.Column("original_key", sa.String(length=1024), nullable=False),
        sa.Column("original_filename", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("declared_sha256", sa.String(length=64), nullable=True),
        sa.Column("exact_of", sa.Uuid(), nullable=True),
        sa.Column("probe", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("capture_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gps_lat", sa.Float(), nullable=True),
        sa.Column("gps_lon", sa.Float(), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "review_status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "featured",
                "returned",
                name="review_status",
                native_enum=False,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("caption", sa.Text(), server_default="", nullable=False),
        sa.Column("credit", sa.String(length=300), server_default="", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_asset_campaign_id_campaign"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["exact_of"], ["asset.id"], name=op.f("fk_asset_exact_of_asset"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_asset_org_id_organization"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_asset_submission_id_submission"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"], ["user_account.id"], name=op.f("fk_asset_uploaded_by_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
    )
    op.create_index(op.f("ix_asset_campaign_id"), "asset", ["campaign_id"], unique=False)
    op.create_index("ix_asset_campaign_sha256", "asset", ["campaign_id", "sha256"], unique=False)
    op.create_index(op.f("ix_asset_org_id"), "asset", ["org_id"], unique=False)
    op.create_index(op.f("ix_asset_review_status"), "asset", ["review_status"], unique=False)
    op.create_index(op.f("ix_asset_sha256"), "asset", ["sha256"], unique=False)
    op.create_index(op.f("ix_asset_status"), "asset", ["status"], unique=False)
    op.create_index(op.f("ix_asset_submission_id"), "asset", ["submission_id"], unique=False)
    op.create_table(
        "upload",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "completed", "aborted", "expired", name="upload_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("original_filename", sa.String(length=1024), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("declared_sha256", sa.String(length=64), nullable=True),
        sa.Column("sniffed_mime", sa.String(length=100), nullable=True),
        sa.Column("upload_metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("s3_key", sa.String(length=1024), nullable=False),
        sa.Column("s3_upload_id", sa.String(length=1024), nullable=False),
        sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("next_part_number", sa.Integer(), nullable=False),
        sa.Column("tail_key", sa.String(length=1024), nullable=True),
        sa.Column("tail_size", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_upload_org_id_organization"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name=op.f("fk_upload_submission_id_submission"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_upload_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
        sa.UniqueConstraint("asset_id", name=op.f("uq_upload_asset_id")),
    )
    op.create_index(op.f("ix_upload_expires_at"), "upload", ["expires_at"], unique=False)
    op.create_index(op.f("ix_upload_org_id"), "upload", ["org_id"], unique=False)
    op.create_index(op.f("ix_upload_submission_id"), "upload", ["submission_id"], unique=False)
    op.create_table(
        "job",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "done", "failed", name="job_status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["asset.id"], name=op.f("fk_job_asset_id_asset"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("asset_id", "step", name="uq_job_asset_step"),
    )
    op.create_index(op.f("ix_job_asset_id"), "job", ["asset_id"], unique=False)
    op.create_index(op.f("ix_job_status"), "job", ["status"], unique=False)
    op.create_table(
        "rendition",
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_rendition_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rendition")),
        sa.UniqueConstraint("asset_id", "name", name="uq_rendition_asset_name"),
    )
    op.create_index(op.f("ix_rendition_asset_id"), "rendition", ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rendition_asset_id"), table_name="rendition")
    op.drop_table("rendition")
    op.drop_index(op.f("ix_job_status"), table_name="job")
    op.drop_index(op.f("ix_job_asset_id"), table_name="job")
    op.drop_table("job")
    op.drop_index(op.f("ix_upload_submission_id"), table_name="upload")
    op.drop_index(op.f("ix_upload_org_id"), table_name="upload")
    op.drop_index(op.f("ix_upload_expires_at"), table_name="upload")
    op.drop_table("upload")
    op.drop_index(op.f("ix_asset_submission_id"), table_name="asset")
    op.drop_index(op.f("ix_asset_status"), table_name="asset")
    op.drop_index(op.f("ix_asset_sha256"), table_name="asset")
    op.drop_index(op.f("ix_asset_review_status"), table_name="asset")
    op.drop_index(op.f("ix_asset_org_id"), table_name="asset")
    op.drop_index("ix_asset_campaign_sha256", table_name="asset")
    op.drop_index(op.f("ix_asset_campaign_id"), table_name="asset")
    op.drop_table("asset")
    op.drop_index(op.f("ix_submission_org_id"), table_name="submission")
    op.drop_index(op.f("ix_submission_campaign_id"), table_name="submission")
    op.drop_table("submission")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_index(op.f("ix_user_account_org_id"), table_name="user_account")
    op.drop_table("user_account")
    op.drop_index(op.f("ix_organization_region_code"), table_name="organization")
    op.drop_table("organization")
    op.drop_table("campaign")
