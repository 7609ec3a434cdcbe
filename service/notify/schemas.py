"""Request and response bodies of /api/v1/notifications, /api/v1/notification-preferences and the robot settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.db.notify import Channel, Digest, WebhookKind


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    unread: int


class UnreadCount(BaseModel):
    unread: int


class Marked(BaseModel):
    marked: int


class ChoiceIn(BaseModel):
    kind: str = Field(max_length=60)
    channel: Channel
    enabled: bool = True
    digest: Digest = Digest.immediate


class ChoiceOut(ChoiceIn):
    name_zh: str
    name_en: str


class PreferencesIn(BaseModel):
    email: str | None = Field(default=None, max_length=254, description="empty string: no e-mail address")
    language: str | None = Field(default=None, pattern=r"^(zh|en)$")
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=100)


class PreferencesOut(BaseModel):
    email: str | None
    language: str
    choices: list[ChoiceOut]


class WebhookIn(BaseModel):
    kind: WebhookKind
    url: str = Field(max_length=1000)
    secret: str | None = Field(default=None, max_length=200, description="DingTalk 加签 secret; omit to keep it")
    kinds: list[str] = Field(default_factory=list, max_length=20, description="event kinds posted; empty: all")
    enabled: bool = True


class WebhookOut(BaseModel):
    configured: bool
    kind: WebhookKind | None = None
    url: str | None = Field(default=None, description="shown masked: the token's last four characters only")
    secret_set: bool = False
    kinds: list[str] = Field(default_factory=list)
    enabled: bool = False
    updated_at: datetime | None = None
