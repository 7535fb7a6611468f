"""The announcement of an edition: one numbered surat pemberitahuan per prodi, addressed to its
kaprodi by name with the prodi's registration link and QR code, e-mailed (PDF attached) through
the outbox; sending progress per prodi; a nudge to a kaprodi whose programme has no
registrations; the kaprodi forwarding it to the roster's semester 3 and 5 students.

Every message has an idempotency key (workshop + prodi, workshop + NIM, + day for a nudge), so
sending again never duplicates what was queued or arrived; a resend re-queues only failures."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import gettext as _

from app.auth.models import User
from app.database import utcnow
from app.documents.models import Letter
from app.documents.services import issue_letter, signer_for, verify_url
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.notifications.services import attachment, enqueue, retry
from app.sop.registry import procedure_of
from app.org.services import current_institution
from app.urls import external_url
from app.workshops.editions import advance, screen_is
from app.workshops.models import (Announcement, Registration, RegistrationStatus, RosterStudent,
                                  StudyProgram, Workshop)

SCREEN = "workshop_announce"  # the step of the procedure this page carries out (its YAML says so)
FORWARD_SEMESTERS = (3, 5)
RETRYABLE = (OutboxStatus.FAILED, OutboxStatus.UNSENDABLE)


# -- access -------------------------------------------------------------------------------------
def kaprodi_announcement(workshop_id: int, announcement_id: int, user: User) -> Announcement | None:
    """The announcement, when `user` is its programme's kaprodi; else None (404)."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None or announcement.workshop_id != workshop_id or announcement.program.kaprodi_id != user.id:
        return None
    return announcement


# -- words and links ----------------------------------------------------------------------------
def registration_url(workshop: Workshop, program: StudyProgram) -> str:
    """The public registration page with the prodi preselected (INTERFACE.md:
    GET /workshops/<id>/register?prodi=CODE), absolute."""
    return external_url("workshops.register", workshop_id=workshop.id, prodi=program.code)


def _local(when: datetime | None) -> datetime | None:
    return when.astimezone(ZoneInfo(current_institution().timezone)) if when else None


def when_text(workshop: Workshop) -> str:
    return format_datetime(_local(workshop.starts_at), "EEEE, d MMMM y, HH.mm", locale="id")


def announcement_key(workshop_id: int, program_id: int) -> str:
    return f"workshop-announce:{workshop_id}:{program_id}"


def _letter_step(workshop: Workshop) -> str:
    step = procedure_of(workshop.case.version).screen_step(SCREEN)
    return step.key if step else SCREEN


# -- sending ------------------------------------------------------------------------------------
@dataclass
class SendResult:
    issued: int = 0
    requeued: int = 0
    unchanged: int = 0
    without_kaprodi: list[str] = field(default_factory=list)


def _mail(announcement: Announcement, workshop: Workshop, letter: Letter, kaprodi: User, now: datetime) -> bool:
    program = announcement.program
    body = _("Yth. %(name)s,\n\nTerlampir %(title)s nomor %(number)s tentang %(workshop)s, %(when)s. Mohon Bapak/Ibu "
             "meneruskannya kepada mahasiswa semester 3 dan 5 Program Studi %(prodi)s.\n\n"
             "Tautan pendaftaran untuk prodi Anda: %(link)s\n"
             "Masuk ke halaman kaprodi untuk meneruskan kepada mahasiswa dari roster dalam satu langkah dan melihat "
             "pendaftar prodi Anda: %(home)s\n\nVerifikasi surat: %(verify)s",
             name=kaprodi.name, title=letter.title, number=letter.number, workshop=workshop.title,
             when=when_text(workshop), prodi=program.name, link=registration_url(workshop, program),
             home=external_url("workshops.kaprodi_home"), verify=verify_url(letter.verify_code))
    filename = f"{letter.doc_type}-{letter.number.replace('/', '-')}.pdf"
    return enqueue(Channel.EMAIL, kaprodi.email, body, announcement_key(workshop.id, program.id),
                   subject=f"{letter.title} {letter.number} — {workshop.title}",
                   attachments=[attachment(filename, "application/pdf", letter.pdf)], user=kaprodi, now=now)


def send_announcements(workshop: Workshop, user: User, now: datetime | None = None) -> SendResult:
    """For every prodi with a kaprodi: the first time, issue its numbered letter and queue the
    e-mail; afterwards, re-queue only an e-mail that failed (one pending or sent stays as it is).
    A prodi without a kaprodi is named in the result and left for later. Flushes."""
    now = now or utcnow()
    result = SendResult()
    existing = {a.program_id: a for a in db.session.scalars(db.select(Announcement).where(
        Announcement.workshop_id == workshop.id))}
    messages = {m.key: m for m in db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.key.in_([announcement_key(workshop.id, pid) for pid in existing])))} if existing else {}
    step_key = _letter_step(workshop)
    signer = signer_for(user, workshop.case)
    for program in db.session.scalars(db.select(StudyProgram).order_by(StudyProgram.code)):
        kaprodi = program.kaprodi
        announcement = existing.get(program.id)
        if announcement is None:
            if kaprodi is None or not kaprodi.active:
                result.without_kaprodi.append(program.name)
                continue
            announcement = Announcement(workshop_id=workshop.id, program_id=program.id, created_at=now)
            announcement.program = program
            db.session.add(announcement)
            data = {"prodi": program.name, "prodi_code": program.code, "hari_workshop": when_text(workshop)}
            data.update({k: v for k, v in (("theme", workshop.theme), ("venue", workshop.venue)) if v})
            letter = issue_letter("surat_pemberitahuan", user, signer, case=workshop.case,
                                  step_key=f"{step_key}:{program.id}"[:40], now=now,
                                  extra={"recipient": kaprodi.name, "data": data,
                                         "link": registration_url(workshop, program)})
            announcement.letter_id = letter.id
            _mail(announcement, workshop, letter, kaprodi, now)
            result.issued += 1
            continue
        message = messages.get(announcement_key(workshop.id, program.id))
        if message is not None and message.status in RETRYABLE:
            retry(message, now)
            result.requeued += 1
        elif message is None and announcement.letter_id and kaprodi is not None:
            _mail(announcement, workshop, db.session.get(Letter, announcement.letter_id), kaprodi, now)
            result.requeued += 1
        else:
            result.unchanged += 1
    if existing or result.issued:  # the letters carry the registration link: it must answer
        workshop.registration_open = True
        advance(workshop, user, screen_is("workshop_announce"), now=now)
    db.session.flush()
    return result


# -- progress -----------------------------------------------------------------------------------
@dataclass
class ProgramProgress:
    program: StudyProgram
    announcement: Announcement | None
    letter_number: str | None
    letter_id: int | None
    message: OutboxMessage | None
    registrations: int
    by_day: dict[date, int]

    @property
    def state(self) -> str:
        """queued, sent, failed (or unsendable, withdrawn), or none when nothing was sent."""
        if self.message is None:
            return "none"
        return "queued" if self.message.status == OutboxStatus.PENDING else self.message.status.value


def progress(workshop: Workshop) -> tuple[list[ProgramProgress], list[date]]:
    """Per prodi: its announcement, letter number, the e-mail's state (with the reason of a
    failure and when it was sent), forwarded or not, and its registrations in total and per day.
    A constant number of queries whatever the number of prodi or registrations."""
    announcements = {a.program_id: a for a in db.session.scalars(db.select(Announcement).where(
        Announcement.workshop_id == workshop.id))}
    letters = dict(db.session.execute(db.select(Letter.id, Letter.number).where(
        Letter.id.in_([a.letter_id for a in announcements.values() if a.letter_id]))).all()) if announcements else {}
    messages = {m.key: m for m in db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.key.in_([announcement_key(workshop.id, p) for p in announcements])))} if announcements else {}
    by_program: dict[int | None, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for program_id, created_at in db.session.execute(db.select(Registration.program_id, Registration.created_at).where(
            Registration.workshop_id == workshop.id, Registration.status != RegistrationStatus.CANCELLED)):
        by_program[program_id][_local(created_at).date()] += 1
    days = sorted({day for counts in by_program.values() for day in counts})
    rows = []
    for program in db.session.scalars(db.select(StudyProgram).order_by(StudyProgram.code)):
        announcement = announcements.get(program.id)
        counts = dict(by_program.get(program.id, {}))
        rows.append(ProgramProgress(program, announcement,
                                    letters.get(announcement.letter_id) if announcement else None,
                                    announcement.letter_id if announcement else None,
                                    messages.get(announcement_key(workshop.id, program.id)),
                                    sum(counts.values()), counts))
    return rows, days


def registrations_of(workshop_id: int, program_id: int) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Registration).where(
        Registration.workshop_id == workshop_id, Registration.program_id == program_id,
        Registration.status != RegistrationStatus.CANCELLED))


# -- nudging and forwarding -------------------------------------------------------------------------
def nudge(announcement: Announcement, user: User, now: datetime | None = None) -> bool:
    """Remind the kaprodi of a programme that has no registration yet (at most once a day).
    Returns whether a reminder was queued (False: already reminded today)."""
    now = now or utcnow()
    program, workshop = announcement.program, db.session.get(Workshop, announcement.workshop_id)
    if registrations_of(workshop.id, program.id):
        raise DomainError(_("Prodi %(prodi)s sudah memiliki pendaftar; pengingat tidak diperlukan.", prodi=program.name))
    kaprodi = program.kaprodi
    if kaprodi is None or not kaprodi.active:
        raise DomainError(_("Prodi %(prodi)s belum memiliki kaprodi aktif.", prodi=program.name))
    body = _("Yth. %(name)s,\n\nBelum ada mahasiswa Program Studi %(prodi)s yang mendaftar %(workshop)s (%(when)s). "
             "Mohon pengumuman diteruskan kepada mahasiswa semester 3 dan 5: %(home)s\n\nTautan pendaftaran: %(link)s",
             name=kaprodi.name, prodi=program.name, workshop=workshop.title, when=when_text(workshop),
             home=external_url("workshops.kaprodi_home"), link=registration_url(workshop, program))
    day = _local(now).date().isoformat()
    queued = enqueue(Channel.EMAIL, kaprodi.email, body, f"workshop-nudge:{workshop.id}:{program.id}:{day}",
                     subject=_("Pengingat: %(workshop)s", workshop=workshop.title), user=kaprodi, now=now)
    if queued:
        announcement.nudged_at = now
    db.session.flush()
    return queued


def forward(announcement: Announcement, user: User, now: datetime | None = None) -> int:
    """The kaprodi passes the announcement to the roster's semester 3 and 5 students of their
    programme: one e-mail each, once per student and edition (forwarding again reaches only
    students added to the roster since). Returns how many were queued now."""
    now = now or utcnow()
    program, workshop = announcement.program, db.session.get(Workshop, announcement.workshop_id)
    if program.kaprodi_id != user.id:
        raise DomainError(_("Hanya kaprodi %(prodi)s yang dapat meneruskan pengumuman ini.", prodi=program.name))
    students = db.session.scalars(db.select(RosterStudent).where(
        RosterStudent.program_id == program.id, RosterStudent.semester.in_(FORWARD_SEMESTERS),
        RosterStudent.email.is_not(None)).order_by(RosterStudent.nim)).all()
    if not students and not announcement.forwarded_at:
        raise DomainError(_("Roster belum memuat mahasiswa semester 3 atau 5 Prodi %(prodi)s yang ber-e-mail; "
                            "minta P2KLLK mengimpor roster terlebih dahulu.", prodi=program.name))
    link, when = registration_url(workshop, program), when_text(workshop)
    venue = f" {_('di')} {workshop.venue}" if workshop.venue else ""
    queued = 0
    for student in students:
        body = _("Halo %(name)s,\n\nKetua Program Studi %(prodi)s, %(kaprodi)s, meneruskan undangan %(workshop)s "
                 "pada %(when)s%(venue)s untuk mahasiswa semester 3 dan 5.\n\nDaftar di: %(link)s",
                 name=student.name, prodi=program.name, kaprodi=user.name, workshop=workshop.title, when=when,
                 venue=venue, link=link)
        queued += enqueue(Channel.EMAIL, student.email, body, f"workshop-forward:{workshop.id}:{student.nim}",
                          subject=_("Undangan: %(workshop)s", workshop=workshop.title), now=now)
    if queued or not announcement.forwarded_at:
        announcement.forwarded_at, announcement.forwarded_by_id = now, user.id
    announcement.forwarded_count += queued
    advance(workshop, user, lambda step: "kaprodi" in step.roles, now=now)  # the kaprodi's step (box 5)
    db.session.flush()
    return queued


# -- the kaprodi's page ---------------------------------------------------------------------------
@dataclass
class KaprodiItem:
    announcement: Announcement
    workshop: Workshop
    letter_number: str | None
    registrations: list[Registration]
    eligible: int  # roster students of semester 3 and 5 with an e-mail


def kaprodi_items(user: User) -> tuple[list[StudyProgram], list[KaprodiItem]]:
    """The kaprodi's programmes, and each announcement to them with its edition, letter and the
    programme's registrations (administrative data only). A constant number of queries."""
    programs = list(db.session.scalars(db.select(StudyProgram).where(StudyProgram.kaprodi_id == user.id)
                                       .order_by(StudyProgram.code)))
    ids = [p.id for p in programs]
    if not ids:
        return programs, []
    announcements = list(db.session.scalars(db.select(Announcement).where(Announcement.program_id.in_(ids))
                                            .order_by(Announcement.created_at.desc(), Announcement.id)))
    workshops = {w.id: w for w in db.session.scalars(db.select(Workshop).where(
        Workshop.id.in_(list({a.workshop_id for a in announcements}))))} if announcements else {}
    letters = dict(db.session.execute(db.select(Letter.id, Letter.number).where(
        Letter.id.in_([a.letter_id for a in announcements if a.letter_id]))).all()) if announcements else {}
    registrations = defaultdict(list)
    if announcements:
        for registration in db.session.scalars(db.select(Registration).where(
                Registration.program_id.in_(ids), Registration.workshop_id.in_(list(workshops)))
                .order_by(Registration.created_at, Registration.id)):
            registrations[(registration.workshop_id, registration.program_id)].append(registration)
    eligible = dict(db.session.execute(db.select(RosterStudent.program_id, db.func.count()).where(
        RosterStudent.program_id.in_(ids), RosterStudent.semester.in_(FORWARD_SEMESTERS),
        RosterStudent.email.is_not(None)).group_by(RosterStudent.program_id)).all())
    items = [KaprodiItem(a, workshops[a.workshop_id], letters.get(a.letter_id),
                         registrations[(a.workshop_id, a.program_id)], eligible.get(a.program_id, 0))
             for a in announcements]
    return programs, items
