"""Box 8 of bagan alir B: P2KLLK turns the workshop's follow-up list (evaluations that ticked
"Saya ingin konseling karier") into career-counseling requests, the student as their subject.

A student without an account is registered as a walk-in student (`register_walk_in`: they get a
set-password link by e-mail); the career procedure accepts a student as subject when P2KLLK
opens it as a referral (`referral` in pgri-konseling-karier.yaml). Idempotent: an evaluation
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
from app.sop.registry import get_procedure
from app.sop.services import open_case
from app.urls import external_url
from app.workshops.models import Evaluation, Registration, Workshop

CAREER = "pgri-konseling-karier"
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
    procedure = get_procedure(CAREER)
    result = FollowUpResult()
    for evaluation in pending_follow_ups(workshop):
        registration = evaluation.registration
        nested = db.session.begin_nested()  # a student refused leaves nothing half made
        try:
            student, invited = _student_for(actor, registration, now)
            program = registration.program
            question = _("Rujukan dari evaluasi %(title)s. Minat: %(interests)s", title=workshop.title,
                         interests=evaluation.interests or "—")
            case = open_case(procedure, actor, {
                "nim": registration.nim, "prodi": (program.name if program else "-")[:120],
                "phone": (registration.whatsapp or "-")[:20], "question": question[:4000],
                "mode": "tatap muka"}, subject=student, now=now, referral=True)
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
    db.session.flush()
    return result
