"""The app's own step: a request's acknowledgement, sent whatever the hour. A step declaring
`screen: {name: acknowledge}` and the role `system` is done by the scheduler (the job
`online_acknowledgements`, also run by `flask jobs tick`): the person gets the notice by e-mail
and WhatsApp through the outbox, the counselors on duty are told, the step is recorded as done
by the system account."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User, UserRole
from app.auth.services import create_user
from app.database import utcnow
from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import enqueue, notify_all
from app.online.rota import on_duty
from app.org.models import UserUnit
from app.sop.access import besides_served, step_names
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.sop.registry import procedure_of
from app.sop.services import complete_step
from app.urls import external_url

SYSTEM_ROLE = "system"
SYSTEM_EMAIL = "sistem@ruang-konseling.invalid"
SCREEN = "acknowledge"


def system_user(unit_id: int | None) -> User:
    """The account the app acts as (no password opens it), a member of the case's unit."""
    user = db.session.scalar(db.select(User).where(User.email == SYSTEM_EMAIL))
    if user is None:
        user = create_user(SYSTEM_EMAIL, "Sistem Ruang Konseling", [SYSTEM_ROLE], secrets.token_urlsafe(24))
        user.password_hash = "!"  # no password opens it: nobody signs in as the app
        user.notify_email = False
        db.session.flush()
    if unit_id is not None and db.session.get(UserUnit, (user.id, unit_id)) is None:
        db.session.add(UserUnit(user_id=user.id, unit_id=unit_id))
        db.session.flush()
        user.__dict__.pop("_unit_ids", None)
    return user


def _unit_counselors(unit_id: int | None) -> list[User]:
    """Without a rota: every active counselor of the unit."""
    query = db.select(User).join(UserRole).where(UserRole.role == "counselor", User.active.is_(True))
    if unit_id is not None:
        query = query.join(UserUnit, UserUnit.user_id == User.id).where(UserUnit.unit_id == unit_id)
    return list(db.session.scalars(query))


def acknowledge(case: Case, row: CaseStep, now: datetime) -> None:
    """Send the acknowledgement of one case and record the step done by the system."""
    person = case.subject or case.opened_by
    link = external_url("online.show_thread", case_id=case.id)
    subject = _("Permohonan konseling Anda sudah kami terima")
    body = _("Halo %(name)s,\n\npermohonan %(service)s Anda (#%(id)d) sudah kami terima. Konselor yang bertugas akan "
             "menjawab Anda di percakapan pribadi Anda:\n%(link)s\n\nIsi percakapan hanya dapat dibaca di aplikasi.",
             name=person.name, service=case.procedure.title, id=case.id, link=link)
    enqueue(Channel.EMAIL, person.email, body, key=f"ack:{row.id}:email", subject=subject, user=person, now=now)
    if person.phone:
        enqueue(Channel.WHATSAPP, person.phone, f"{subject}\n\n{body}", key=f"ack:{row.id}:wa", user=person, now=now)
    counselors, begins = on_duty(case.unit_id, now)
    counselors = besides_served(case, counselors) or besides_served(case, _unit_counselors(case.unit_id))
    when = _(" Giliran piket Anda berikutnya mulai %(at)s.", at=begins.strftime("%d-%m-%Y %H.%M")) if begins else ""
    notify_all(counselors, _("Permohonan e-konseling baru #%(id)d", id=case.id),
               _("Ada permohonan baru untuk %(service)s.%(when)s Konselor pertama yang menjawab menangani kasus ini: "
                 "%(link)s", service=case.procedure.title, when=when, link=link),
               key=f"ack:{row.id}:duty", now=now)
    complete_step(case, row.key, system_user(case.unit_id), {}, now=now)


def acknowledge_due(now: datetime | None = None) -> dict:
    """Every acknowledgement waiting (the periodic job): {"acknowledged": n}."""
    now = now or utcnow()
    rows = db.session.scalars(
        db.select(CaseStep).join(Case).where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN,
                                             step_names(SYSTEM_ROLE),
                                             CaseStep.active_at <= now)
        .order_by(CaseStep.active_at).limit(200)).all()
    done = 0
    for row in rows:
        step = procedure_of(row.case.version).step(row.key)
        if step.screen and step.screen["name"] == SCREEN:
            acknowledge(row.case, row, now)
            done += 1
    return {"acknowledged": done}
