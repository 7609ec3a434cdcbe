"""A province's (or committee's) pre-review of a member organisation's submission.

Where a campaign asks for pre-review (``campaign.prereview``), a member's submission reaches the ministry's queue only
once its parent organisation forwarded it. No row means nothing was decided yet (pending). Reports carry the same
step in their own status (``Report.status`` filed → forwarded / returned).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, TimestampMixin, str_enum


class PrereviewState(enum.StrEnum):
    pending = "pending"  # waiting for the parent organisation (also: a returned submission its school changed)
    forwarded = "forwarded"  # sent on to the ministry by the parent organisation
    returned = "returned"  # sent back to the school with a reason


class SubmissionPrereview(TimestampMixin, Base):
    __tablename__ = "submission_prereview"

    submission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[PrereviewState] = mapped_column(str_enum(PrereviewState, "prereview_state"), index=True)
    reason: Mapped[str | None] = mapped_column(Text, doc="why it was returned; shown to the school")
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    by_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id", ondelete="SET NULL"))
    at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
