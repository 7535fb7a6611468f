"""Counselors' availability, their booking settings and calendar feed, appointments, waiting list."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.sop.models import Case
from app.database import UTCDateTime, state_enum, utcnow
from app.extensions import db


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Mode(enum.StrEnum):
    IN_PERSON = "tatap muka"
    ONLINE = "online"


class CounselorProfile(db.Model):
    """Booking rules of one counselor and the secret of their calendar feed. Its row is also
    the lock taken while booking, so two bookings for one counselor never interleave."""

    __tablename__ = "counselor_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    min_notice_minutes: Mapped[int] = mapped_column(default=12 * 60)
    horizon_days: Mapped[int] = mapped_column(default=30)
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    lock_version: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship()


class Availability(db.Model):
    """A weekly window in which a counselor takes sessions."""

    __tablename__ = "availabilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # Monday = 0
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    session_minutes: Mapped[int] = mapped_column(default=60)
    buffer_minutes: Mapped[int] = mapped_column(default=15)
    mode: Mapped[Mode] = mapped_column(state_enum(Mode))
    room: Mapped[str | None] = mapped_column(String(200))
    meeting_url: Mapped[str | None] = mapped_column(String(500))


class AvailabilityException(db.Model):
    """A day a counselor takes no sessions (leave, duty elsewhere)."""

    __tablename__ = "availability_exceptions"
    __table_args__ = (UniqueConstraint("counselor_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))


class AppointmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    DONE = "done"


class Appointment(db.Model):
    """A counseling session. An agreed one holds its counselor's start time exclusively."""

    __tablename__ = "appointments"
    __table_args__ = (
        # No double booking, by the database: one agreed appointment per counselor and start.
        Index("uq_appointments_counselor_start_agreed", "counselor_id", "start_at", unique=True,
              sqlite_where=text("status = 'agreed'"), postgresql_where=text("status = 'agreed'")),
        # One agreed time per case, by the database.
        Index("uq_appointments_case_agreed", "case_id", unique=True,
              sqlite_where=text("status = 'agreed'"), postgresql_where=text("status = 'agreed'")),
        Index("ix_appointments_counselor_id_start_at", "counselor_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[Mode] = mapped_column(state_enum(Mode))
    location: Mapped[str | None] = mapped_column(String(200))
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    # The meeting's access code / password, when the link needs one (told with the link).
    meeting_code: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[AppointmentStatus] = mapped_column(
        state_enum(AppointmentStatus))
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE, raised on every change
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rescheduled or cancelled
    late_change: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    counselor: Mapped[User] = relationship(foreign_keys=[counselor_id], lazy="joined")
    client: Mapped[User] = relationship(foreign_keys=[client_id], lazy="joined")
    case: Mapped[Case | None] = relationship(lazy="joined")


class WaitlistEntry(db.Model):
    """Someone who wants an earlier slot with a counselor; told first come, first served."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (UniqueConstraint("counselor_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
