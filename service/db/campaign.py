"""A campaign is one year's Activity Week with its dates, deadlines and upload limits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin


class Campaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "campaign"

    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    theme: Mapped[str] = mapped_column(String(200), default="")
    week_start: Mapped[date] = mapped_column(Date)
    week_end: Mapped[date] = mapped_column(Date)
    plan_deadline: Mapped[date | None] = mapped_column(Date)
    summary_deadline: Mapped[date | None] = mapped_column(Date)
    upload_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    upload_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    max_image_bytes: Mapped[int] = mapped_column(BigInteger, default=200 * 1024**2)
    max_video_bytes: Mapped[int] = mapped_column(BigInteger, default=8 * 1024**3)
    org_quota_bytes: Mapped[int] = mapped_column(BigInteger, default=200 * 1024**3)
    min_image_pixels: Mapped[int] = mapped_column(default=640 * 480)
    min_video_height: Mapped[int] = mapped_column(default=360)
    min_video_seconds: Mapped[float] = mapped_column(default=1.0)
    max_video_seconds: Mapped[float] = mapped_column(default=30 * 60.0)

    # hierarchy (service.hierarchy): members' material reaches the ministry once their province/committee forwards it
    prereview: Mapped[bool] = mapped_column(default=False, server_default="false")
    direct_submissions: Mapped[bool] = mapped_column(
        default=False, server_default="false",
        doc="with prereview on, the ministry also sees members' material its parent has not decided on yet")

    def upload_open(self, at: datetime) -> bool:
        return self.upload_opens_at <= at < self.upload_closes_at
