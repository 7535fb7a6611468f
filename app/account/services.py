"""Gather what the app holds about one person: their profile, their cases (the confidential
values they may read, per app/sop/access.py, and nothing else), appointments, letters, the access
log of their cases, messages sent to them and the audit events about their account."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date, datetime

from sqlalchemy import and_, or_
from sqlalchemy.orm import selectinload, undefer

from app.auth.audit import AuditEvent
from app.auth.models import User
from app.auth.roles import role_label
from app.booking.models import Appointment
from app.database import utcnow
from app.documents.models import Letter
from app.documents.types import DOC_TYPES
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.sop.access import log_access, readable_values
from app.sop.models import Case, CaseAccess

LIMIT = 5000  # rows per kind; a person's own history stays far below


def _iso(value):
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def my_cases(user: User, *, full: bool = False) -> list[Case]:
    """The cases about `user`: where they are the person served, or that they opened for nobody else."""
    query = (db.select(Case).where(or_(Case.subject_id == user.id,
                                       and_(Case.subject_id.is_(None), Case.opened_by_id == user.id)))
             .order_by(Case.opened_at.desc(), Case.id.desc()).limit(LIMIT))
    if full:
        query = query.options(selectinload(Case.steps), selectinload(Case.members), selectinload(Case.reviews))
    return list(db.session.scalars(query).unique())


def my_appointments(user: User) -> list[Appointment]:
    return list(db.session.scalars(db.select(Appointment).where(Appointment.client_id == user.id)
                                   .order_by(Appointment.start_at.desc()).limit(LIMIT)).unique())


def my_letters(user: User, case_ids: list[int], with_pdf: bool = False) -> list[Letter]:
    """The letters of the person's cases but the leadership's internal paper on a case about them,
    which the letter's own page does not show them either (documents.services.hidden_from)."""
    if not case_ids:
        return []
    internal = [code for code, kind in DOC_TYPES.items() if kind.internal]
    query = (db.select(Letter).join(Case, Case.id == Letter.case_id)
             .where(Letter.case_id.in_(case_ids), ~and_(Letter.doc_type.in_(internal), Case.subject_id == user.id))
             .order_by(Letter.issued_at, Letter.id))
    if with_pdf:
        query = query.options(undefer(Letter.pdf))
    return list(db.session.scalars(query.limit(LIMIT)))


def access_entries(case_ids: list[int]) -> list[CaseAccess]:
    """Who opened the person's cases, read or reviewed them, or changed their team: newest first."""
    if not case_ids:
        return []
    return list(db.session.scalars(db.select(CaseAccess).where(CaseAccess.case_id.in_(case_ids))
                                   .order_by(CaseAccess.at.desc(), CaseAccess.id.desc()).limit(LIMIT)))


def _messages(user: User) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.user_id == user.id)
                                   .order_by(OutboxMessage.created_at.desc()).limit(LIMIT)))


def _audit(user: User) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.target_type == "users", AuditEvent.target_id == str(user.id))
        .order_by(AuditEvent.at.desc()).limit(LIMIT)))


def profile_record(user: User) -> dict:
    return {"name": user.name, "email": user.email, "roles": sorted(user.roles),
            "role_labels": [role_label(r) for r in sorted(user.roles)], "nim": user.nim, "prodi": user.prodi,
            "graduation_year": user.graduation_year, "whatsapp": user.phone,
            "employee_number": user.employee_number, "position": user.position, "locale": user.locale,
            "notify_email": user.notify_email, "notify_whatsapp": user.notify_whatsapp,
            "created_at": _iso(user.created_at), "email_confirmed_at": _iso(user.email_confirmed_at),
            "last_login_at": _iso(user.last_login_at)}


def _case_record(user: User, case: Case) -> dict:
    """A case as its person may read it: the plain values, and those confidential values the
    access rules let them read (their own words, what is shared back); each such read is logged."""
    values, grounds = readable_values(user, case)
    if grounds:
        log_access(case, user, "export", grounds)
    return {"id": case.id, "procedure": case.code, "title": case.title, "state": str(case.state),
            "opened_at": _iso(case.opened_at), "closed_at": _iso(case.closed_at),
            "values": {k: _iso(v) for k, v in {**(case.data or {}), **values}.items()},
            "steps": [{"title": row.title, "pass": row.attempt, "state": str(row.state),
                       "done_at": _iso(row.done_at), "due_at": _iso(row.due_at),
                       "done_by": row.done_by.name if row.done_by else None} for row in case.current_steps()]}


def _appointment_record(a: Appointment) -> dict:
    return {"id": a.id, "case_id": a.case_id, "counselor": a.counselor.name, "start_at": _iso(a.start_at),
            "end_at": _iso(a.end_at), "mode": str(a.mode), "location": a.location, "meeting_url": a.meeting_url,
            "status": str(a.status), "reason": a.reason}


def letter_filename(letter: Letter) -> str:
    number = re.sub(r"[^0-9A-Za-z.-]+", "-", letter.number).strip("-")
    return f"surat/{letter.doc_type}-{number}-v{letter.version}.pdf"


def my_data(user: User, letters: list[Letter] | None = None) -> dict:
    """Everything above as one JSON-ready document."""
    cases = my_cases(user, full=True)
    case_ids = [c.id for c in cases]
    letters = my_letters(user, case_ids) if letters is None else letters
    return {
        "generated_at": _iso(utcnow()),
        "profile": profile_record(user),
        "cases": [_case_record(user, case) for case in cases],
        "appointments": [_appointment_record(a) for a in my_appointments(user)],
        "letters": [{"id": lt.id, "case_id": lt.case_id, "type": lt.doc_type, "title": lt.title, "number": lt.number,
                     "version": lt.version, "issued_at": _iso(lt.issued_at), "signer": lt.signer_name,
                     "verify_code": lt.verify_code, "file": letter_filename(lt)} for lt in letters],
        "access_log": [{"case_id": e.case_id, "at": _iso(e.at), "who": e.user.name, "action": e.action,
                        "fields": e.fields.split(",") if e.fields else [], "reason": e.reason_for_subject}
                       for e in access_entries(case_ids)],
        # Bodies are left out: they may carry one-time links.
        "messages": [{"channel": str(m.channel), "recipient": m.recipient, "subject": m.subject,
                      "status": str(m.status), "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)}
                     for m in _messages(user)],
        "account_events": [{"at": _iso(e.at), "action": e.action, "label": e.action_label, "summary": e.summary,
                            "by": e.actor.name if e.actor else None} for e in _audit(user)],
        "conversations": _conversations(user, cases),
    }


def _conversations(user: User, cases: list[Case]) -> list[dict]:
    """The private conversations of the person's cases, as they read them (each read logged)."""
    from app.online.thread import has_thread, messages

    return [{"case_id": case.id, "messages": [{"at": _iso(m.created_at), "from": m.author.name, "text": text}
                                              for m, text in messages(case, user)]}
            for case in cases if has_thread(case.procedure)]


def to_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def my_data_zip(user: User) -> bytes:
    """data-saya.json and the PDF of every letter of the person's cases."""
    letters = my_letters(user, [c.id for c in my_cases(user)], with_pdf=True)
    data = my_data(user, letters)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data-saya.json", to_json(data))
        for letter in letters:
            archive.writestr(letter_filename(letter), letter.pdf)
    return buffer.getvalue()
