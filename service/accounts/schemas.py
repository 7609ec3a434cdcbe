"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.db.org import OrgKind, Role


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    org_id: uuid.UUID
    is_active: bool
    must_change_password: bool
    password_changed_at: datetime | None
    oidc_bound: bool = False
    created_at: datetime


class UserList(BaseModel):
    items: list[UserOut]
    total: int


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    role: Role
    org_id: uuid.UUID
    display_name: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, max_length=1000,
                                 description="One-time password (changed at first login); none: reset link or OIDC")


class UserPatch(BaseModel):
    role: Role | None = None
    org_id: uuid.UUID | None = None
    display_name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = Field(default=None, description="false deactivates (sessions end, tokens stop)")


class ResetIn(BaseModel):
    password: str | None = Field(default=None, max_length=1000,
                                 description="A one-time password; leave out to get a one-time reset link instead")


class ResetOut(BaseModel):
    mode: str
    reset_url: str | None = None


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class RevokeIn(BaseModel):
    token_id: uuid.UUID | None = Field(default=None, description="One token; leave out to revoke every live token")


class CountOut(BaseModel):
    count: int


class SessionOut(BaseModel):
    handle: str
    created_at: datetime
    ip: str
    agent: str
    current: bool = False


class ImportRowOut(BaseModel):
    line: int
    username: str
    outcome: str
    code: str | None = None
    reason: str | None = None
    user_id: str | None = None


class ImportOut(BaseModel):
    dry_run: bool
    rows: list[ImportRowOut]
    would_create: int
    errors: int


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: OrgKind
    region_code: str | None
    parent_id: uuid.UUID | None


class OrgList(BaseModel):
    items: list[OrgOut]
    total: int


class OrgIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    region_code: str | None = Field(default=None, max_length=6)
    parent_id: uuid.UUID | None = None


class OrgPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: OrgKind | None = None
    region_code: str | None = Field(default=None, max_length=6)
    parent_id: uuid.UUID | None = None
