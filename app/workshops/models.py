"""The minat-bakat workshop: editions and their committee, speakers and preparation checklist;
study programmes (prodi) with their kaprodi and the student roster; the announcement to each
kaprodi; registrations with their tickets and attendance; evaluations and certificates.

An edition runs on a case of its procedure (deadlines, reminders and compliance are the SOP
engine's); these tables hold what the generic step forms cannot."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.database import UTCDateTime, state_enum, utcnow
from app.extensions import db
from app.sop.models import Case


def new_code() -> str:
    """A ticket or link secret: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


class StudyProgram(db.Model):
    """A study programme (prodi) and its head (kaprodi), who receives the announcement."""

    __tablename__ = "study_programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    faculty: Mapped[str | None] = mapped_column(String(200))
    kaprodi_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    kaprodi: Mapped[User | None] = relationship(lazy="joined")


class RosterStudent(db.Model):
    """A student in the imported roster (NIM, name, prodi, semester, contacts): decides who may
    register and to whom a kaprodi forwards the announcement."""

    __tablename__ = "roster_students"
    __table_args__ = (Index("ix_roster_students_program_semester", "program_id", "semester"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nim: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    program_id: Mapped[int] = mapped_column(ForeignKey("study_programs.id", ondelete="CASCADE"))
    semester: Mapped[int]
    email: Mapped[str | None] = mapped_column(String(254))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The student database's status (aktif, cuti, nonaktif, lulus, keluar): checked before a
    # self-initiated counseling service (app/referrals).
    status: Mapped[str] = mapped_column(String(20), default="aktif", server_default="aktif")
    # The dosen pembimbing akademik (role advisor): imported with the roster or set by staff; they
    # may refer this student to counseling (app/referrals).
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    program: Mapped[StudyProgram] = relationship(lazy="joined")
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id])


class Workshop(db.Model):
    """One edition of the workshop, on its case. Its row is also the lock taken while seats are
    given, so capacity holds under a burst of registrations."""

    __tablename__ = "workshops"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    venue: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int]
    register_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_open: Mapped[bool] = mapped_column(default=False)
    theme: Mapped[str | None] = mapped_column(String(300))
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the coordination meeting
    meeting_minutes: Mapped[int] = mapped_column(default=60)  # "1 jam rapat"
    meeting_place: Mapped[str | None] = mapped_column(String(300))
    meeting_sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE of the meeting invite
    report: Mapped[str | None] = mapped_column(Text)  # the committee's edited report text
    lock_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship(lazy="joined")
    committee: Mapped[list[CommitteeMember]] = relationship(back_populates="workshop", order_by="CommitteeMember.id",
                                                            cascade="all, delete-orphan")


class CommitteeRole(enum.StrEnum):
    CHAIR = "ketua"
    SECRETARY = "sekretaris"
    MEMBER = "anggota"


class CommitteeMember(db.Model):
    """A member of an edition's committee (panitia), from the alumni coordinator or the
    tracer-study division, with their committee role."""

    __tablename__ = "committee_members"
    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[CommitteeRole] = mapped_column(state_enum(CommitteeRole))
    division: Mapped[str | None] = mapped_column(String(120))  # "Koordinator alumni", "Divisi tracer study"

    workshop: Mapped[Workshop] = relationship(back_populates="committee")
    user: Mapped[User] = relationship(lazy="joined")


class Speaker(db.Model):
    """A speaker (narasumber) agreed in the coordination meeting."""

    __tablename__ = "workshop_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    institution: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(300))
    contact: Mapped[str | None] = mapped_column(String(200))
    confirmed: Mapped[bool] = mapped_column(default=False)


class ChecklistItem(db.Model):
    """A preparation task (venue, speakers confirmed, materials, registration opened), assigned
    to a committee member and done by someone at some time."""

    __tablename__ = "workshop_checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id], lazy="joined")


class Announcement(db.Model):
    """The announcement of an edition to one prodi: its numbered letter to the kaprodi (sent
    through the outbox) and when the kaprodi forwarded it to the programme's students."""

    __tablename__ = "workshop_announcements"
    __table_args__ = (UniqueConstraint("workshop_id", "program_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    program_id: Mapped[int] = mapped_column(ForeignKey("study_programs.id", ondelete="CASCADE"), index=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    forwarded_count: Mapped[int] = mapped_column(default=0)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[StudyProgram] = relationship(lazy="joined")


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Registration(db.Model):
    """A student's registration for an edition: a seat (confirmed) or a place on the waiting
    list, their personal ticket, attendance and evaluation."""

    __tablename__ = "workshop_registrations"
    __table_args__ = (
        UniqueConstraint("workshop_id", "nim"),  # no NIM twice (a cancelled one re-registers on its row)
        Index("ix_workshop_registrations_queue", "workshop_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    nim: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("study_programs.id", ondelete="SET NULL"), index=True)
    semester: Mapped[int | None]
    email: Mapped[str] = mapped_column(String(254))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[RegistrationStatus] = mapped_column(state_enum(RegistrationStatus))
    ticket: Mapped[str] = mapped_column(String(40), unique=True, default=new_code)  # QR ticket and cancel link
    walk_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    evaluation_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # their account, if any

    program: Mapped[StudyProgram | None] = relationship(lazy="joined")


class Evaluation(db.Model):
    """An attendee's answers to the evaluation form, and the certificate it earns."""

    __tablename__ = "workshop_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("workshop_registrations.id", ondelete="CASCADE"),
                                                 unique=True)
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)  # question key -> 1..5
    interests: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    wants_counseling: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    certificate_letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    follow_up_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))

    registration: Mapped[Registration] = relationship(lazy="joined")
