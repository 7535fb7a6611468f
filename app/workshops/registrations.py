"""Public registration for a workshop edition: eligibility (semester 3 and 5, the roster when
there is one), seats given under the edition's row lock so capacity holds under a burst, the
waiting list that moves up on a cancellation, and attendance at the door (check-in, walk-ins)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.workshops.models import (Registration, RegistrationStatus, RosterStudent, StudyProgram,
                                  Workshop, new_code)
from app.workshops.tickets import send_cancelled, send_confirmed, send_waiting, ticket_files

ELIGIBLE_SEMESTERS = (3, 5)


@dataclass(frozen=True)
class Applicant:
    """What a student typed on the registration form (or a committee member at the door)."""

    nim: str
    name: str
    program_code: str | None
    semester: int | None
    email: str
    whatsapp: str | None = None


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waiting: int
    attended: int
    walk_ins: int


# -- the lock and the figures -----------------------------------------------------------------
def lock_workshop(workshop_id: int) -> tuple[bool, datetime | None, int, datetime]:
    """Serialize seat-giving on one edition: the UPDATE holds the row lock (PostgreSQL) or the
    write lock (SQLite) until the transaction ends. It is the transaction's first write, and it
    returns the edition's registration settings as they are now, under the lock."""
    row = db.session.execute(
        update(Workshop).where(Workshop.id == workshop_id).values(lock_version=Workshop.lock_version + 1)
        .returning(Workshop.registration_open, Workshop.register_until, Workshop.capacity, Workshop.starts_at)
    ).first()
    if row is None:
        raise DomainError(_("Workshop tidak ditemukan."))
    return tuple(row)


def _confirmed_count(workshop_id: int) -> int:
    return db.session.scalar(db.select(func.count()).select_from(Registration).where(
        Registration.workshop_id == workshop_id, Registration.status == RegistrationStatus.CONFIRMED))


def counts(workshop_id: int) -> Counts:
    """Confirmed, waiting, attended and walk-ins of an edition, in one statement."""
    rows = db.session.execute(
        db.select(Registration.status, func.count(), func.count(Registration.checked_in_at),
                  func.count(Registration.id).filter(Registration.walk_in.is_(True)))
        .where(Registration.workshop_id == workshop_id).group_by(Registration.status)).all()
    by_status = {status: (n, attended, walk_ins) for status, n, attended, walk_ins in rows}
    confirmed = by_status.get(RegistrationStatus.CONFIRMED, (0, 0, 0))
    return Counts(confirmed=confirmed[0], waiting=by_status.get(RegistrationStatus.WAITING, (0,))[0],
                  attended=confirmed[1], walk_ins=confirmed[2])


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when the registration is not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = db.session.scalar(db.select(func.count()).select_from(Registration).where(
        Registration.workshop_id == registration.workshop_id, Registration.status == RegistrationStatus.WAITING,
        or_(Registration.created_at < registration.created_at,
            and_(Registration.created_at == registration.created_at, Registration.id < registration.id))))
    return ahead + 1


# -- registering --------------------------------------------------------------------------------
def _check_open(is_open: bool, until: datetime | None, starts_at: datetime, now: datetime) -> None:
    if not is_open:
        raise DomainError(_("Pendaftaran workshop ini belum dibuka atau sudah ditutup."))
    if (until is not None and now > until) or now >= starts_at:
        raise DomainError(_("Pendaftaran workshop ini sudah ditutup."))


def _eligible(applicant: Applicant) -> tuple[int | None, int]:
    """(prodi id, semester) that count: the roster's when there is a roster, else what was typed.

    With a roster the NIM must be in it, in semester 3 or 5, and the e-mail typed must be the one the
    roster holds for it (when it holds one): someone who knows a classmate's NIM cannot take their
    seat, and the ticket goes to the student's own address. One answer for every mismatch, so the
    form tells a stranger nothing about who is on the roster or in which semester."""
    if db.session.scalar(db.select(RosterStudent.id).limit(1)) is not None:
        student = db.session.scalar(db.select(RosterStudent).where(RosterStudent.nim == applicant.nim))
        if (student is None or student.semester not in ELIGIBLE_SEMESTERS
                or (student.email and student.email.casefold() != applicant.email.strip().casefold())):
            raise DomainError(_("NIM dan e-mail ini tidak cocok dengan daftar mahasiswa semester 3 dan 5 yang dapat "
                                "mendaftar. Gunakan e-mail yang tercatat di kampus, atau hubungi program studi Anda."),
                              "nim")
        return student.program_id, student.semester
    if applicant.semester not in ELIGIBLE_SEMESTERS:
        raise DomainError(_("Workshop ini hanya untuk mahasiswa semester 3 dan 5."), "semester")
    return _program_id(applicant), applicant.semester


def _program_id(applicant: Applicant) -> int | None:
    """The id of the prodi typed (none typed: None); an unknown code is refused."""
    if not applicant.program_code:
        return None
    program_id = db.session.scalar(db.select(StudyProgram.id).where(StudyProgram.code == applicant.program_code))
    if program_id is None:
        raise DomainError(_("Program studi tidak dikenal."), "prodi")
    return program_id


def _already(existing: Registration) -> DomainError:
    if existing.status == RegistrationStatus.WAITING:
        return DomainError(_("NIM ini sudah terdaftar di daftar tunggu workshop ini. Tiketnya sudah dikirim ke "
                             "e-mail yang didaftarkan."), "nim")
    return DomainError(_("NIM ini sudah terdaftar untuk workshop ini. Tiketnya sudah dikirim ke e-mail yang "
                         "didaftarkan."), "nim")


def _existing(workshop_id: int, nim: str) -> Registration | None:
    return db.session.scalar(db.select(Registration).where(Registration.workshop_id == workshop_id,
                                                           Registration.nim == nim))


def _save(registration: Registration) -> None:
    """Flush; the unique (edition, NIM) key turns a second row into the clear message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise DomainError(_("NIM ini sudah terdaftar untuk workshop ini."), "nim") from None


def _fill(workshop_id: int, applicant: Applicant, program_id: int | None, semester: int | None,
          status: RegistrationStatus, now: datetime, walk_in: bool = False, ticket: str | None = None) -> Registration:
    """A new registration, or the cancelled one of this NIM given again (a new ticket)."""
    registration = _existing(workshop_id, applicant.nim)
    if registration is None:
        registration = Registration(workshop_id=workshop_id, nim=applicant.nim)
        db.session.add(registration)
    registration.name, registration.email, registration.whatsapp = applicant.name, applicant.email, applicant.whatsapp
    registration.program_id, registration.semester, registration.status = program_id, semester, status
    registration.ticket, registration.created_at, registration.walk_in = ticket or new_code(), now, walk_in
    registration.confirmed_at = now if status == RegistrationStatus.CONFIRMED else None
    registration.cancelled_at = registration.checked_in_at = registration.checked_in_by_id = None
    _save(registration)
    return registration


def register(workshop: Workshop, applicant: Applicant, now: datetime | None = None) -> Registration:
    """A student registers: a seat while there is one, else a place on the waiting list; the
    ticket (with its calendar invite and QR code) or the waiting-list position goes by e-mail."""
    now = now or utcnow()
    program_id, semester = _eligible(applicant)
    # the ticket and its attachments are made before the lock, which is held for counting and writing
    draft = Registration(workshop_id=workshop.id, nim=applicant.nim, name=applicant.name, email=applicant.email,
                         ticket=new_code(), status=RegistrationStatus.CONFIRMED, created_at=now, confirmed_at=now)
    files = ticket_files(workshop, draft)
    is_open, until, capacity, starts_at = lock_workshop(workshop.id)
    _check_open(is_open, until, starts_at, now)
    existing = _existing(workshop.id, applicant.nim)
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        raise _already(existing)
    status = RegistrationStatus.CONFIRMED if _confirmed_count(workshop.id) < capacity else RegistrationStatus.WAITING
    registration = _fill(workshop.id, applicant, program_id, semester, status, now, ticket=draft.ticket)
    if status == RegistrationStatus.CONFIRMED:
        send_confirmed(workshop, registration, now, files=files)
    else:
        send_waiting(workshop, registration, waiting_position(registration), now)
    return registration


def find_ticket(ticket: str) -> Registration | None:
    """The registration a ticket code names (ticket codes are URL-safe base64)."""
    if not ticket or len(ticket) > 40:
        return None
    return db.session.scalar(db.select(Registration).where(Registration.ticket == ticket))


def cancel(registration: Registration, now: datetime | None = None) -> Registration:
    """The student gives up the seat (or the waiting place): the first on the waiting list gets
    the seat and is told by e-mail."""
    now = now or utcnow()
    workshop = db.session.get(Workshop, registration.workshop_id)
    _is_open, _until, capacity, starts_at = lock_workshop(workshop.id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise DomainError(_("Pendaftaran ini sudah dibatalkan."))
    if registration.checked_in_at is not None:
        raise DomainError(_("Anda sudah tercatat hadir; pendaftaran tidak dapat dibatalkan."))
    if now >= starts_at:
        raise DomainError(_("Workshop sudah dimulai; pendaftaran tidak dapat dibatalkan lagi."))
    had_seat = registration.status == RegistrationStatus.CONFIRMED
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now
    db.session.flush()
    send_cancelled(workshop, registration, now)
    if had_seat:
        promote(workshop, capacity, now)
    return registration


def promote(workshop: Workshop, capacity: int, now: datetime) -> list[Registration]:
    """Give free seats to the first on the waiting list (the caller holds the lock)."""
    free = capacity - _confirmed_count(workshop.id)
    if free <= 0:
        return []
    promoted = list(db.session.scalars(db.select(Registration).where(
        Registration.workshop_id == workshop.id, Registration.status == RegistrationStatus.WAITING)
        .order_by(Registration.created_at, Registration.id).limit(free)))
    for registration in promoted:
        registration.status, registration.confirmed_at = RegistrationStatus.CONFIRMED, now
        db.session.flush()
        send_confirmed(workshop, registration, now, promoted=True)
    return promoted


# -- at the door --------------------------------------------------------------------------------
_TICKET_IN_URL = re.compile(r"/tickets/([A-Za-z0-9_-]+)")


def scanned_code(text: str | None) -> str:
    """The ticket code or NIM in what was typed or scanned (a ticket's QR holds its page's URL)."""
    text = (text or "").strip()
    found = _TICKET_IN_URL.search(text)
    return found.group(1) if found else text


def local_time(moment: datetime) -> str:
    """08.12: how a check-in time is said at the door."""
    return format_datetime(moment, "HH.mm")


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    first: bool  # False: they had already been checked in (at registration.checked_in_at)

    @property
    def message(self) -> str:
        when = local_time(self.registration.checked_in_at)
        if self.first:
            return _("%(name)s hadir, %(time)s.", name=self.registration.name, time=when)
        return _("%(name)s sudah hadir, %(time)s.", name=self.registration.name, time=when)


def _mark(registration: Registration, actor: User, now: datetime) -> bool:
    """Record attendance once: a conditional UPDATE, so two scanners at once record one time."""
    done = db.session.execute(update(Registration).where(
        Registration.id == registration.id, Registration.checked_in_at.is_(None))
        .values(checked_in_at=now, checked_in_by_id=actor.id)).rowcount
    db.session.refresh(registration, ["checked_in_at", "checked_in_by_id"])
    return bool(done)


def check_in(workshop: Workshop, code: str, actor: User, now: datetime | None = None) -> CheckIn:
    """A ticket scanned (or its code or the NIM typed) at the door: one indexed lookup, one update."""
    now = now or utcnow()
    code = scanned_code(code)
    if not code or len(code) > 40:
        raise DomainError(_("Tulis atau pindai kode tiket, atau tulis NIM."), "code")
    registration = db.session.scalar(db.select(Registration).where(
        Registration.workshop_id == workshop.id, or_(Registration.ticket == code, Registration.nim == code)).limit(1))
    if registration is None:
        raise DomainError(_("Tiket atau NIM %(code)s tidak terdaftar untuk workshop ini.", code=code[:40]), "code")
    if registration.status == RegistrationStatus.CANCELLED:
        raise DomainError(_("Pendaftaran %(name)s sudah dibatalkan.", name=registration.name), "code")
    if registration.status == RegistrationStatus.WAITING:
        raise DomainError(_("%(name)s masih di daftar tunggu; catat sebagai peserta langsung bila ada kursi.",
                            name=registration.name), "code")
    return CheckIn(registration, _mark(registration, actor, now))


def set_attendance(workshop: Workshop, registration: Registration, present: bool, actor: User,
                   now: datetime | None = None) -> Registration:
    """Tick (or untick, for a mistake) a confirmed registration on the list."""
    now = now or utcnow()
    if registration.workshop_id != workshop.id or registration.status != RegistrationStatus.CONFIRMED:
        raise DomainError(_("Hanya peserta terkonfirmasi yang dapat dicatat hadir."))
    if present:
        _mark(registration, actor, now)
    else:
        registration.checked_in_at = registration.checked_in_by_id = None
        db.session.flush()
    return registration


def walk_in(workshop: Workshop, applicant: Applicant, actor: User, now: datetime | None = None) -> Registration:
    """Someone who did not register comes to the door: a confirmed seat (even past capacity),
    marked present. A student on the waiting list comes in the same way."""
    now = now or utcnow()
    lock_workshop(workshop.id)
    existing = _existing(workshop.id, applicant.nim)
    if existing is not None and existing.status == RegistrationStatus.CONFIRMED:
        raise DomainError(_("NIM ini sudah terdaftar; catat kehadirannya dengan check-in."), "nim")
    registration = _fill(workshop.id, applicant, _program_id(applicant), applicant.semester, RegistrationStatus.CONFIRMED, now,
                         walk_in=True)
    registration.checked_in_at, registration.checked_in_by_id = now, actor.id
    db.session.flush()
    return registration


def attendee_list(workshop: Workshop, query: str | None = None, limit: int = 500) -> list[Registration]:
    """Confirmed registrations by name, optionally those whose name or NIM contains `query`."""
    statement = db.select(Registration).where(Registration.workshop_id == workshop.id,
                                              Registration.status == RegistrationStatus.CONFIRMED)
    query = (query or "").strip()[:100]
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Registration.name.ilike(pattern, escape="\\"),
                                        Registration.nim.ilike(pattern, escape="\\")))
    return list(db.session.scalars(statement.order_by(Registration.name, Registration.id).limit(limit)))
