"""After the workshop: the evaluation form each attendee reaches by their ticket (no account),
the reminder to those who have not answered, and the numbered certificate an answer earns.

- The link goes out once per registration (outbox key `workshop-evaluation:<registration>`):
  by the `workshop_evaluations` job for editions that ended in the last two weeks, and by the
  committee's reminder button, which also reminds those who were sent it and did not answer
  (once each: `evaluation_reminded_at`, key `workshop-evaluation-reminder:<registration>`).
- One answer per registration: the unique registration id of `workshop_evaluations` decides.
- The certificate is a `sertifikat` letter on the edition's case, one per registration: its step
  key is `sertifikat-<registration>`, so the letters' unique index keeps it to one, and a second
  download returns the same letter.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.auth.models import User
from app.database import insert_ignore, utcnow
from app.documents.models import Letter
from app.documents.services import issue_letter
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import enqueue
from app.org.services import current_institution
from app.urls import external_url
from app.workshops.models import Evaluation, Registration, RegistrationStatus, Workshop

# The questions rated 1..5 (key -> label); the report averages them in this order.
QUESTIONS = {"materi": _l("Materi"), "narasumber": _l("Narasumber"), "penyelenggaraan": _l("Penyelenggaraan")}
RATINGS = range(1, 6)
LINK_WINDOW = timedelta(days=14)  # the job sends links for editions that ended this recently
MAX_TEXT = 2000


def attended_filter():
    """Registrations that count as attended: a seat (not cancelled) and checked in."""
    return (Registration.checked_in_at.is_not(None), Registration.status != RegistrationStatus.CANCELLED)


def is_attendee(registration: Registration) -> bool:
    return registration.checked_in_at is not None and registration.status != RegistrationStatus.CANCELLED


def registration_by_ticket(ticket: str) -> Registration | None:
    return db.session.scalar(db.select(Registration).where(Registration.ticket == str(ticket)[:40]))


def evaluation_of(registration: Registration) -> Evaluation | None:
    return db.session.scalar(db.select(Evaluation).where(Evaluation.registration_id == registration.id))


# -- the form ------------------------------------------------------------------------------
def submit_evaluation(registration: Registration, ratings: dict, interests: str | None, comments: str | None,
                      wants_counseling: bool, now: datetime | None = None) -> Evaluation:
    """Record an attendee's answers, once. Refuses one who did not attend, ratings that are
    not 1..5 for every question, and a second answer (DomainError)."""
    now = now or utcnow()
    if not is_attendee(registration):
        raise DomainError(_("Evaluasi hanya untuk peserta yang hadir pada workshop."))
    workshop = db.session.get(Workshop, registration.workshop_id)
    if workshop.starts_at > now:
        raise DomainError(_("Evaluasi dibuka setelah workshop dimulai."))
    clean = {}
    for key in QUESTIONS:
        value = ratings.get(key)
        if not isinstance(value, int) or value not in RATINGS:
            raise DomainError(_("Beri nilai 1 sampai 5 untuk setiap pertanyaan."), key)
        clean[key] = value
    for field, text in (("interests", interests), ("comments", comments)):
        if text and len(text) > MAX_TEXT:
            raise DomainError(_("Paling banyak %(n)d karakter.", n=MAX_TEXT), field)
    written = insert_ignore(Evaluation, registration_id=registration.id, ratings=clean,
                            interests=(interests or "").strip() or None, comments=(comments or "").strip() or None,
                            wants_counseling=bool(wants_counseling), submitted_at=now)
    if not written:
        raise DomainError(_("Evaluasi untuk tiket ini sudah diisi. Terima kasih."))
    return evaluation_of(registration)


# -- links and reminders --------------------------------------------------------------------
def evaluation_url(registration: Registration) -> str:
    return external_url("workshops.evaluate", ticket=registration.ticket)


def _mail(registration: Registration, workshop: Workshop, key: str, reminder: bool, now: datetime) -> bool:
    opening = (_("Kami belum menerima evaluasi Anda untuk %(title)s.", title=workshop.title) if reminder else
               _("Terima kasih telah mengikuti %(title)s.", title=workshop.title))
    body = _("Halo %(name)s,\n\n%(opening)s Mohon isi evaluasi singkat (3 pertanyaan) melalui tautan berikut; "
             "setelah itu Anda dapat mengunduh sertifikat:\n\n%(link)s\n\nTautan ini pribadi untuk tiket Anda.",
             name=registration.name, opening=opening, link=evaluation_url(registration))
    subject = (_("Pengingat: evaluasi %(title)s", title=workshop.title) if reminder
               else _("Evaluasi dan sertifikat %(title)s", title=workshop.title))
    return enqueue(Channel.EMAIL, registration.email, body, key, subject=subject, now=now)


def send_evaluation_links(workshop: Workshop, now: datetime | None = None) -> int:
    """E-mail the evaluation link to every attendee who has not answered, once each; returns
    how many were newly queued."""
    now = now or utcnow()
    rows = db.session.scalars(db.select(Registration).outerjoin(Evaluation)
                              .where(Registration.workshop_id == workshop.id, Evaluation.id.is_(None),
                                     *attended_filter())).all()
    return sum(_mail(r, workshop, f"workshop-evaluation:{r.id}", False, now) for r in rows)


def send_due_evaluation_links(now: datetime | None = None) -> dict:
    """The periodic job's work: links for editions that ended within LINK_WINDOW."""
    now = now or utcnow()
    workshops = db.session.scalars(db.select(Workshop).where(
        Workshop.starts_at <= now, Workshop.starts_at >= now - LINK_WINDOW,
        db.or_(Workshop.ends_at.is_(None), Workshop.ends_at <= now))).all()
    return {"evaluation_links": sum(send_evaluation_links(w, now) for w in workshops)}


def non_responders(workshop: Workshop) -> list[Registration]:
    """Attendees who have not answered the evaluation, by name."""
    return list(db.session.scalars(db.select(Registration).outerjoin(Evaluation)
                                   .where(Registration.workshop_id == workshop.id, Evaluation.id.is_(None),
                                          *attended_filter()).order_by(Registration.name, Registration.id)))


def remind_non_responders(workshop: Workshop, now: datetime | None = None) -> int:
    """The committee's reminder: each attendee who has not answered gets the link (if it never
    went out) and one reminder; pressing it again reminds nobody twice. Returns how many were
    reminded now."""
    now = now or utcnow()
    if workshop.starts_at > now:
        raise DomainError(_("Workshop belum dilaksanakan; pengingat evaluasi dikirim setelahnya."))
    send_evaluation_links(workshop, now)
    reminded = 0
    for registration in non_responders(workshop):
        if registration.evaluation_reminded_at is not None:
            continue
        # the conditional update takes the row: of two presses at once, one reminds
        taken = db.session.execute(update(Registration).where(
            Registration.id == registration.id, Registration.evaluation_reminded_at.is_(None))
            .values(evaluation_reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if taken:
            _mail(registration, workshop, f"workshop-evaluation-reminder:{registration.id}", True, now)
            reminded += 1
    db.session.expire_all()
    return reminded


# -- the certificate ------------------------------------------------------------------------
def _signer() -> User:
    from app.auth.services import active_users_with_roles

    heads = active_users_with_roles({"head"})
    if not heads:
        raise DomainError(_("Sertifikat belum dapat diterbitkan: belum ada Kepala unit yang menandatangani."))
    return heads[0]


def local_date(moment: datetime) -> str:
    zone = ZoneInfo(current_institution().timezone)
    return format_date(moment.astimezone(zone).date(), "d MMMM y", locale="id")


def certificate_for(registration: Registration, now: datetime | None = None) -> Letter:
    """The attendee's numbered certificate: issued at the first download after they answered
    the evaluation, the same letter at every later one."""
    evaluation = evaluation_of(registration)
    if evaluation is None:
        raise DomainError(_("Isi evaluasi terlebih dahulu untuk mengunduh sertifikat."))
    # downloads of one certificate take turns on the evaluation's row
    db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id)
                       .values(certificate_letter_id=Evaluation.certificate_letter_id)
                       .execution_options(synchronize_session=False))
    letter_id = db.session.scalar(db.select(Evaluation.certificate_letter_id).where(Evaluation.id == evaluation.id))
    if letter_id is not None:
        return db.session.get(Letter, letter_id)
    workshop = db.session.get(Workshop, registration.workshop_id)
    signer = _signer()
    program = registration.program
    letter = issue_letter("sertifikat", signer, signer, case=workshop.case, step_key=f"sertifikat-{registration.id}",
                          now=now, extra={"person": registration.name, "data": {
                              "nim": registration.nim, "prodi": program.name if program else "",
                              "semester": registration.semester, "workshop_title": workshop.title,
                              "workshop_date": local_date(workshop.starts_at)}})
    db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id)
                       .values(certificate_letter_id=letter.id).execution_options(synchronize_session=False))
    return letter
