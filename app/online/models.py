"""Online counseling: the duty rota the head keeps and each case's private conversation."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Index, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from app.auth.models import User
from app.crypto import register_sealed
from app.database import UTCDateTime, utcnow
from app.extensions import db


class DutyShift(db.Model):
    """A counselor on duty for a unit's online requests: a weekday and hours (local time)."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_unit_id_weekday", "unit_id", "weekday"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # Monday = 0
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    counselor: Mapped[User] = relationship(foreign_keys=[counselor_id], lazy="joined")
    # Whether the counselor still serves the unit (active, a counselor, a member of it): loaded by
    # app/online/rota.py:shifts_of; a shift of someone who left stays on the rota, but counts not.
    serving: Mapped[bool] = query_expression()


class ThreadMessage(db.Model):
    """One message of a case's private conversation; its text is sealed (encrypted at rest)."""

    __tablename__ = "thread_messages"
    __table_args__ = (Index("ix_thread_messages_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


register_sealed(ThreadMessage, "sealed")


class ThreadRead(db.Model):
    """How far someone has read a case's conversation: the newest message a reading showed them.
    What came after it is unread (thread.unread_reply), whenever it was written or committed."""

    __tablename__ = "thread_reads"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    message_id: Mapped[int]
