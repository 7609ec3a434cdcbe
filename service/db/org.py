"""Organisations (provinces, committees, schools, outlets…), their users and API tokens."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base, IdMixin, TimestampMixin, str_enum


class OrgKind(enum.StrEnum):
    province = "province"
    committee = "committee"
    school = "school"
    department = "department"
    outlet = "outlet"
    ministry = "ministry"


class Role(enum.StrEnum):
    submitter = "submitter"
    editor = "editor"
    outlet = "outlet"
    admin = "admin"


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organization"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind, "org_kind"))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True, doc="GB/T 2260 administrative code")
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    quota_bytes: Mapped[int | None] = mapped_column(doc="Per-organisation storage quota; null = campaign default")

    parent: Mapped[Organization | None] = relationship(remote_side="Organization.id")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(
        default=False, server_default="false", doc="Set by an admin's reset: the next web login asks for a new one")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    oidc_subject: Mapped[str | None] = mapped_column(
        String(255), unique=True, doc="The identity provider's `sub`, bound at the first OpenID Connect login")

    org: Mapped[Organization] = relationship(lazy="joined")


class ApiToken(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_token"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, doc="sha256 hex of the secret; never the secret")
    prefix: Mapped[str] = mapped_column(String(12), doc="First characters, to recognise a token in lists")
    name: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")
