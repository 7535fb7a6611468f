"""Referrals by the dosen pembimbing akademik, the directory of external parties a surat rujukan
goes to, and the counseling log book (one line per service, corrections kept as history).

The case (its steps, deadlines, confidential content) is the SOP engine's; these tables hold what
the instruksi kerja asks beyond it, as administrative facts only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, utcnow
from app.extensions import db
from app.sop.models import Case


class Referral(db.Model):
    """An advisor's referral of one of their advisees: the case it opened, and when staff
    informed the student of it and of the service."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_advisor_referred_at", "advisor_id", "referred_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    informed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship(lazy="joined")
    student: Mapped[User] = relationship(foreign_keys=[student_id], lazy="joined")
    informed_by: Mapped[User | None] = relationship(foreign_keys=[informed_by_id])


class ExternalParty(db.Model):
    """Who a surat rujukan is addressed to (a psychologist, a hospital, a clinic), kept for reuse."""

    __tablename__ = "external_parties"
    __table_args__ = (UniqueConstraint("name", "institution"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400))
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def label(self) -> str:
        return f"{self.name} — {self.institution}"


class LogStatus:
    AGREED = "dijadwalkan"  # the agreed time of a service given later
    GIVEN = "terlaksana"


class LogbookEntry(db.Model):
    """One line of the unit's log book: one service (or the agreement on one) to one student."""

    __tablename__ = "logbook_entries"
    __table_args__ = (Index("ix_logbook_entries_unit_served_at_id", "unit_id", "served_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    student_name: Mapped[str] = mapped_column(String(200))
    nim: Mapped[str | None] = mapped_column(String(40))
    service_kind: Mapped[str] = mapped_column(String(200))
    counselor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=LogStatus.GIVEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    counselor: Mapped[User] = relationship(foreign_keys=[counselor_id], lazy="joined")
    revisions: Mapped[list[LogbookRevision]] = relationship(
        order_by="LogbookRevision.changed_at.desc(), LogbookRevision.id.desc()", cascade="all, delete-orphan")


class LogbookRevision(db.Model):
    """A correction of one value of a log book line: the earlier value, who changed it, when, why."""

    __tablename__ = "logbook_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("logbook_entries.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(400))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    changed_by: Mapped[User] = relationship(lazy="joined")
