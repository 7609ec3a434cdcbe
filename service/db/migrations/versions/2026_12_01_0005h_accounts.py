"""accounts: a reset forces a password change at the next login, when the password last changed, and the identity
provider's subject an OpenID Connect login is bound to

Revision ID: 0005h
Revises: 0005f
Create Date: 2026-12-01 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005h"
down_revision: str | None = "0005f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(), server_default="false",
                                            nullable=False))
    op.add_column("user_account", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("user_account", sa.Column("oidc_subject", sa.String(length=255), nullable=True))
    op.create_unique_constraint(op.f("uq_user_account_oidc_subject"), "user_account", ["oidc_subject"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_user_account_oidc_subject"), "user_account", type_="unique")
    op.drop_column("user_account", "oidc_subject")
    op.drop_column("user_account", "password_changed_at")
    op.drop_column("user_account", "must_change_password")
