"""E-konseling requests waiting for a counselor in "Tugas saya": a case whose steps are all
behind it (its `follow_up`), nobody serving it yet in the role the user would take it in, of
one of the user's units — the cases the user may take by answering. One query for them all."""
from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, func
from sqlalchemy.orm import contains_eager, with_expression

from app.auth.models import User
from app.extensions import db
from app.sop.access import follow_up_open_to, follow_up_roles, shaped
from app.sop.models import Case, CaseStep, FollowUpWait, ProcedureVersion, case_list_options


def _claim_roles(user: User) -> dict[str, list[str]]:
    """For each role the user would take a follow-up in: the codes of the procedures with a
    conversation whose follow-up it closes."""
    from app.online.thread import has_thread

    return follow_up_roles(user, has_thread)


def waiting_requests(user: User, limit: int = 50) -> list[Case]:
    """Open cases in their follow-up that `user` may take (mirrors access.follow_up_role)."""
    if not user.is_authenticated or not _claim_roles(user):
        return []
    query = shaped("online_waiting", user, _waiting_query)
    return list(db.session.scalars(query, {"user_id": user.id, "limit": limit}))


def _waiting_query(someone):
    limit = bindparam("limit", type_=Integer)
    # the oldest `limit` waiting, read from the kept rows by index (a case waiting for two of the
    # user's roles is two rows)
    waiting = (follow_up_open_to(someone, FollowUpWait.case_id, FollowUpWait.opened_at, by_role=_claim_roles(someone))
               .join(Case, Case.id == FollowUpWait.case_id).where(Case.subject_id != someone.id).distinct()
               .order_by(FollowUpWait.opened_at, FollowUpWait.case_id).limit(limit).subquery())
    sent = (db.select(func.max(CaseStep.done_at)).where(CaseStep.case_id == Case.id).correlate(Case)
            .scalar_subquery())  # the steps ran out then: the request was sent (as thread.sent_at)
    return (db.select(Case).join(Case.version).where(Case.id.in_(db.select(waiting.c.case_id)))
            .options(*case_list_options(), contains_eager(Case.version).defer(ProcedureVersion.definition),
                     with_expression(Case.waiting_since, sent))
            .order_by(Case.opened_at, Case.id))


def tasks(user: User, now: datetime) -> list:
    """The waiting requests as tasks: open the conversation, answer, and the case is yours."""
    from app.sop.services import TaskItem

    return [TaskItem(title=_("Permohonan baru menunggu konselor: jawab untuk menanganinya"),
                     url=url_for("online.show_thread", case_id=case.id), case_id=case.id,
                     service=case.version.title, due_at=None, waiting_since=case.waiting_since or case.opened_at)
            for case in waiting_requests(user)]
