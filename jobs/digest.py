"""The daily digest for heads (07:00 local): what is overdue now in their units, with links, no
content."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from app.auth.services import active_users_with_roles
from app.extensions import db
from app.notifications.services import notify
from app.org.models import UserUnit
from app.sop.models import Case, CaseState, CaseStep, ProcedureVersion, StepState
from app.urls import external_url

LIMIT = 2000  # the overdue steps read at once, the oldest first


def send_digest(now: datetime) -> int:
    """One e-mail per head per day listing the overdue steps of their units' cases (a role holds in
    one's own units; a case of no unit belongs to every unit), never of a case that serves them;
    nothing to a head with none late."""
    late = db.session.execute(
        db.select(CaseStep.case_id, CaseStep.title, ProcedureVersion.title.label("service"), Case.unit_id,
                  Case.subject_id)
        .select_from(CaseStep).join(Case).join(ProcedureVersion, ProcedureVersion.id == Case.procedure_version_id)
        .where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN, CaseStep.due_at < now)
        .order_by(CaseStep.due_at).limit(LIMIT)).all()
    if not late:
        return 0
    heads = active_users_with_roles({"head"})
    units = defaultdict(set)
    for user_id, unit_id in db.session.execute(db.select(UserUnit.user_id, UserUnit.unit_id)
                                               .where(UserUnit.user_id.in_([h.id for h in heads]))):
        units[user_id].add(unit_id)
    day = now.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date().isoformat()
    sent = 0
    for head in heads:
        theirs = [r for r in late if (r.unit_id is None or r.unit_id in units[head.id]) and r.subject_id != head.id]
        if theirs:
            sent += notify(head, f"Ringkasan harian: {len(theirs)} langkah terlambat", _body(theirs),
                           key=f"digest:{day}", now=now)
    return sent


def _body(late) -> str:
    lines = [f"- kasus #{r.case_id} ({r.service}): {r.title} — {external_url('sop.show_case', case_id=r.case_id)}"
             for r in late]
    return (f"Ada {len(late)} langkah SOP yang melewati batas waktunya:\n\n" + "\n".join(lines)
            + f"\n\nKepatuhan per langkah: {external_url('reports.compliance_page')}")
