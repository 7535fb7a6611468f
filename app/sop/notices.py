"""The deadline sweep (scheduled by jobs/scheduler.py; the rules are the SOP engine's): reminders
before due, a notice at due, escalation after — each at most once per step (a unique notice row),
reading only the steps whose next notice time has come, and told to who may act on the step."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime

from app.auth.models import User
from app.auth.services import active_users_with_roles
from app.extensions import db
from app.database import insert_ignore
from app.notifications.services import notify_all
from app.sop.access import besides_served, can_act, open_roles
from app.sop.models import Case, CaseMember, CaseStep, Notice, NoticeKind, StepState
from app.sop.registry import procedure_of
from app.sop.services import next_notice_time
from app.urls import external_url

BATCH = 500
SUBJECTS = {
    NoticeKind.REMINDER: "Pengingat: langkah SOP menunggu tindakan Anda",
    NoticeKind.DUE: "Batas waktu langkah SOP tercapai",
    NoticeKind.ESCALATION: "Eskalasi: langkah SOP melewati baku mutu",
}


def latest_kind(row: CaseStep, now: datetime) -> NoticeKind | None:
    """The latest notice whose time has come: after downtime only that one goes out."""
    if row.escalate_at and row.escalate_at <= now:
        return NoticeKind.ESCALATION
    if row.due_at and row.due_at <= now:
        return NoticeKind.DUE
    if row.remind_at and row.remind_at <= now:
        return NoticeKind.REMINDER
    return None


def recipients(row: CaseStep, kind: NoticeKind, holders: dict | None = None) -> list[User]:
    """Who hears of the step; `holders` keeps, for one sweep, the people holding each set of roles."""
    case = row.case
    holders = {} if holders is None else holders

    def holding(roles) -> list[User]:  # in the case's unit: a role holds in one's own units
        key = (frozenset(roles), case.unit_id)
        if key not in holders:
            holders[key] = active_users_with_roles(roles, case.unit_id)
        return holders[key]

    procedure = procedure_of(case.version)
    # the person served is never told in another role they hold (access.can_act, is_head_of)
    if kind == NoticeKind.ESCALATION:
        return besides_served(case, holding(procedure.escalate_to))
    # A step waits for the holders of its open roles (access.open_roles: a team role only while
    # nobody serves or served the case in it, then it is the team's), and for whoever of the team
    # and the subject may act on it (access.can_act: the assignee among the team).
    open_to = open_roles(case, row)
    people = {user.id: user for user in besides_served(case, holding(open_to))} if open_to else {}
    for user in [m.user for m in case.team()] + ([case.subject] if case.subject is not None else []):
        if can_act(user, case, row):
            people[user.id] = user
    return [u for u in people.values() if u.active]


def message(row: CaseStep, kind: NoticeKind) -> str:
    """No confidential content: only that a step awaits, its deadline and a link."""
    case = row.case
    link = external_url("sop.step_form", case_id=case.id, key=row.key)
    due = format_datetime(row.due_at, "d MMMM y, HH.mm") if row.due_at else "—"
    lead = {NoticeKind.REMINDER: "Langkah berikut akan jatuh tempo:",
            NoticeKind.DUE: "Langkah berikut sudah mencapai batas waktunya:",
            NoticeKind.ESCALATION: "Langkah berikut melewati baku mutu waktunya dan belum diselesaikan:"}[kind]
    return (f"{lead}\n\nLayanan: {case.version.title} (kasus #{case.id})\nLangkah {row.position}: {row.title}\n"
            f"Batas waktu: {due}\n\nBuka di Ruang Konseling: {link}\n\n"
            "Isi layanan bersifat rahasia dan hanya dapat dibaca di aplikasi.")


def sweep(now: datetime) -> dict:
    """Send what the time calls for; one transaction per batch (the caller commits). The messages
    of one notice go out in a few multi-row inserts, however many people hold the role."""
    holders: dict = {}
    counts = {kind.value: 0 for kind in NoticeKind} | {"checked": 0}
    query = (db.select(CaseStep).join(Case)
             .where(CaseStep.state == StepState.ACTIVE, CaseStep.next_notice_at <= now)
             .options(db.contains_eager(CaseStep.case).selectinload(Case.members).joinedload(CaseMember.user))
             .order_by(CaseStep.next_notice_at).limit(BATCH))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(of=CaseStep, skip_locked=True)
    for row in db.session.scalars(query).all():
        counts["checked"] += 1
        kind = latest_kind(row, now)
        if kind is not None and insert_ignore(Notice, case_step_id=row.id, kind=kind, created_at=now):
            notify_all(recipients(row, kind, holders), SUBJECTS[kind], message(row, kind),
                       key=f"notice:{row.id}:{kind.value}", now=now)
            counts[kind.value] += 1
        row.next_notice_at = next_notice_time(row, now, swept=True)
    return counts


