"""Box 8 of bagan alir B: P2KLLK turns the workshop's follow-up list (evaluations that ticked
"Saya ingin konseling karier") into career-counseling requests, the student as their subject.

A student without an account is registered as a walk-in student (`register_walk_in`: they get a
set-password link by e-mail); the career procedure accepts a student as subject when P2KLLK
opens it as a referral (the procedure file's `referral: {from: [...]}` names this one). Idempotent: an evaluation
with a follow-up case is skipped, and runs take turns on the edition's row."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update

from app.auth.accounts import register_walk_in
from app.auth.models import User, find_user_by_email
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.notifications.services import notify
from app.sop.definitions import Procedure
from app.sop.registry import procedures
from app.sop.services import open_case
from app.urls import external_url
from app.workshops.editions import advance, screen_is
from app.workshops.models import Evaluation, Registration, Workshop

STUDENT = "student"


@dataclass
class FollowUpResult:
    created: list[int] = field(default_factory=list)  # case ids
    invited: list[str] = field(default_factory=list)  # e-mails of new accounts
    skipped: list[str] = field(default_factory=list)  # "name: reason"


def pending_follow_ups(workshop: Workshop) -> list[Evaluation]:
    """Evaluations that want counseling and have no request yet."""
    return list(db.session.scalars(db.select(Evaluation).join(Registration).where(
        Registration.workshop_id == workshop.id, Evaluation.wants_counseling.is_(True),
        Evaluation.follow_up_case_id.is_(None)).order_by(Registration.name, Registration.id)))


def referral_procedure(workshop: Workshop) -> Procedure:
    """The procedure that takes referrals from the edition's procedure (its YAML's `referral.from`)."""
    code = workshop.case.code
    found = next((p for p in procedures().values() if code in p.referral_from), None)
    if found is None:
        raise DomainError(_("Belum ada layanan yang menerima rujukan dari workshop ini."))
    return found


def request_values(procedure: Procedure, workshop: Workshop, evaluation: Evaluation) -> dict:
    """The request's fields from the registration: those the procedure has, a required choice
    not known here at its first option."""
    registration, program = evaluation.registration, evaluation.registration.program
    known = {"nim": registration.nim, "prodi": program.name if program else "-",
             "phone": registration.whatsapp or "-",
             "question": _("Rujukan dari evaluasi %(title)s. Minat: %(interests)s", title=workshop.title,
                           interests=evaluation.interests or "—")}
    values = {}
    for f in procedure.fields:
        if f.key in known:
            values[f.key] = known[f.key][:f.max] if f.max else known[f.key]
        elif f.type == "choice" and f.required and f.options:
            values[f.key] = f.options[0]
    return values


def _student_for(actor: User, registration: Registration, now: datetime) -> tuple[User, bool]:
    user = find_user_by_email(registration.email)
    if user is not None:
        return user, False
    program = registration.program
    user = register_walk_in(actor, registration.email, registration.name, STUDENT, now=now, nim=registration.nim,
                            prodi=program.name if program else None)
    return user, True


def create_follow_up_requests(workshop: Workshop, actor: User, now: datetime | None = None) -> FollowUpResult:
    """Open one career-counseling case per pending evaluation; record it on the evaluation."""
    now = now or utcnow()
    db.session.execute(update(Workshop).where(Workshop.id == workshop.id)
                       .values(lock_version=Workshop.lock_version + 1).execution_options(synchronize_session=False))
    procedure = referral_procedure(workshop)
    result = FollowUpResult()
    for evaluation in pending_follow_ups(workshop):
        registration = evaluation.registration
        nested = db.session.begin_nested()  # a student refused leaves nothing half made
        try:
            student, invited = _student_for(actor, registration, now)
            case = open_case(procedure, actor, request_values(procedure, workshop, evaluation), subject=student,
                             now=now, referral=True)
            nested.commit()
        except DomainError as exc:
            nested.rollback()
            result.skipped.append(f"{registration.name}: {exc.message}")
            continue
        evaluation.follow_up_case_id = case.id
        result.created.append(case.id)
        if invited:
            result.invited.append(student.email)
        notify(student, _("Permohonan konseling karier Anda"), _(
            "Halo %(name)s,\n\nSesuai jawaban evaluasi %(title)s, P2KLLK membuatkan permohonan konseling karier "
            "untuk Anda. TU P2KLLK akan menghubungi Anda. Setelah masuk ke Ruang Konseling, Anda dapat melihat "
            "permohonan ini:\n\n%(link)s", name=student.name, title=workshop.title,
            link=external_url("sop.show_case", case_id=case.id)), key=f"workshop-follow-up:{evaluation.id}", now=now)
    if result.created:
        advance(workshop, actor, screen_is("workshop", "follow_up"), now=now)
    db.session.flush()
    return result
