"""The one audit log: every change a person makes, append-only.

A row says who (id and name, kept when the account is deleted), from where, when, what (an action code from
``service.core.audit.ACTIONS``) and to what (kind and id of the target, the organisation it belongs to). ``detail``
holds ids, states and reasons, never the content of something that may later be purged (captions, OCR text, file
names): a takedown must not survive in the log. The migration installs a trigger that refuses UPDATE and DELETE.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, utcnow


class AuditLog(IdMixin, Base):
    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(doc="No foreign key: the row outlives the account")
    actor_name: Mapped[str] = mapped_column(String(120), doc="Kept when the account is deleted; 'system' for jobs")
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(doc="No foreign key: the row outlives the organisation")
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60), doc="A code of service.core.audit.ACTIONS")
    target_kind: Mapped[str] = mapped_column(String(40), doc="asset, submission, report, collection, user, …")
    target_id: Mapped[uuid.UUID | None] = mapped_column(doc="No foreign key: the row outlives its target")
    org_id: Mapped[uuid.UUID | None] = mapped_column(doc="The organisation the target belongs to (for filters)")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_target", "target_kind", "target_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_org_at", "org_id", "at"),
    )
