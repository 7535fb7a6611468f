"""The daily digest for heads (07:00 local): what is overdue now, with links, no content."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from app.extensions import db
from app.notifications.services import notify
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.auth.services import active_users_with_roles
from app.urls import external_url


def send_digest(now: datetime) -> int:
    """One e-mail per head per day listing the overdue steps; nothing when none is late."""
    late = db.session.execute(
        db.select(CaseStep.case_id, CaseStep.key, CaseStep.title, CaseStep.due_at, Case.code)
        .join(Case).where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN,
                          CaseStep.due_at < now).order_by(CaseStep.due_at).limit(200)).all()
    if not late:
        return 0
    lines = [f"- kasus #{r.case_id} ({r.code}): {r.title} — {external_url('sop.show_case', case_id=r.case_id)}" for r in late]
    body = (f"Ada {len(late)} langkah SOP yang melewati batas waktunya:\n\n" + "\n".join(lines)
            + f"\n\nKepatuhan per langkah: {external_url('reports.compliance_page')}")
    day = now.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date().isoformat()
    return sum(notify(user, f"Ringkasan harian: {len(late)} langkah terlambat", body, key=f"digest:{day}", now=now)
               for user in active_users_with_roles({"head"}))
