"""E-konseling in the counselors' "Tugas saya", read in one query: the requests waiting for a
counselor (a case whose steps are all behind it, its `follow_up`, nobody serving it yet in the
role the user would take it in, of one of the user's units: the cases the user may take by
answering), and the conversations the user serves in that follow-up until they close them with
their report, those whose person served waits for an answer first."""
from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, exists, false, func, or_
from sqlalchemy.orm import contains_eager, with_expression

from app.auth.models import User
from app.extensions import db
from app.online.models import ThreadMessage
from app.sop.access import follow_up_open_to, follow_up_roles, in_units_of, on_team_where, shaped
from app.sop.models import (Case, CaseMember, CaseState, CaseStep, FollowUpWait, ProcedureVersion, StepState,
                            case_list_options)


def _claim_roles(user: User) -> dict[str, list[str]]:
    """For each role the user would take a follow-up in: the codes of the procedures with a
    conversation whose follow-up it closes."""
    from app.online.thread import has_thread

    return follow_up_roles(user, has_thread)


def conversations(user: User, limit: int = 50) -> list[tuple[Case, bool]]:
    """(case, served): the open cases in their follow-up that `user` may take (served False; mirrors
    access.follow_up_role) and those they serve and may close (True; mirrors access.can_close),
    the oldest `limit` of each. `Case.waiting_since`: when a request was sent; of a conversation
    served, the person's first message not answered yet (None when every one is)."""
    if not user.is_authenticated or not _claim_roles(user):
        return []
    query = shaped("online_conversations", user, _conversations_query)
    return list(db.session.execute(query, {"user_id": user.id, "limit": limit}))


def waiting_requests(user: User, limit: int = 50) -> list[Case]:
    """The requests `user` may take, the oldest first."""
    return [case for case, served in conversations(user, limit) if not served]


def _conversations_query(someone):
    limit = bindparam("limit", type_=Integer)
    by_role = _claim_roles(someone)
    # the oldest `limit` waiting, read from the kept rows by index (a case waiting for two of the
    # user's roles is two rows)
    waiting = (follow_up_open_to(someone, FollowUpWait.case_id, FollowUpWait.opened_at, by_role=by_role)
               .join(Case, Case.id == FollowUpWait.case_id).where(Case.subject_id != someone.id).distinct()
               .order_by(FollowUpWait.opened_at, FollowUpWait.case_id).limit(limit).subquery())
    # the oldest `limit` served, read from the user's memberships (in follow-up: no step ahead)
    served = (db.select(CaseMember.case_id).join(Case, Case.id == CaseMember.case_id)
              .where(CaseMember.user_id == someone.id, CaseMember.removed_at.is_(None),
                     or_(false(), *(and_(CaseMember.role == role, Case.code.in_(codes)) for role, codes in by_role.items())),
                     Case.state == CaseState.OPEN, in_units_of(someone, Case),
                     ~exists().where(CaseStep.case_id == Case.id,
                                     CaseStep.state.in_((StepState.ACTIVE, StepState.PENDING))))
              .order_by(Case.opened_at, Case.id).limit(limit).subquery())
    sent = (db.select(func.max(CaseStep.done_at)).where(CaseStep.case_id == Case.id,
                                                        CaseStep.done_by_id == Case.subject_id)
            .correlate(Case).scalar_subquery())  # its person's last step: the request sent (as thread.sent_at)
    answered = (db.select(func.max(ThreadMessage.id)).where(ThreadMessage.case_id == Case.id,
                                                           ThreadMessage.author_id != Case.subject_id)
                .correlate(Case).scalar_subquery())
    unanswered = (db.select(func.min(ThreadMessage.created_at))
                  .where(ThreadMessage.case_id == Case.id, ThreadMessage.author_id == Case.subject_id,
                         ThreadMessage.id > func.coalesce(answered, 0)).correlate(Case).scalar_subquery())
    mine = on_team_where(someone, Case)
    return (db.select(Case, mine).join(Case.version)
            .where(or_(Case.id.in_(db.select(waiting.c.case_id)), Case.id.in_(db.select(served.c.case_id))))
            .options(*case_list_options(), contains_eager(Case.version).defer(ProcedureVersion.definition),
                     with_expression(Case.waiting_since, db.case((mine, unanswered), else_=sent)))
            .order_by(Case.opened_at, Case.id))


def tasks(user: User, now: datetime) -> list:
    """The waiting requests as tasks (open the conversation, answer, and the case is yours), and
    the conversations the user serves (answer the person, or close the case with the report)."""
    from app.sop.services import TaskItem

    def task(case, title, waiting_since, served=True):
        # named as every task names its case (its title, with whom it serves) once the user serves
        # it; a request not taken yet names nobody
        return TaskItem(title=title, url=url_for("online.show_thread", case_id=case.id), case_id=case.id,
                        service=case.title if served else case.version.title, due_at=None,
                        waiting_since=waiting_since)

    items = []
    for case, served in conversations(user):
        if not served:
            items.append(task(case, _("Permohonan baru menunggu konselor: jawab untuk menanganinya"),
                              case.waiting_since or case.opened_at, served=False))
        elif case.waiting_since:
            items.append(task(case, _("Pemohon menunggu balasan Anda"), case.waiting_since))
        else:  # after every task with a deadline
            items.append(task(case, _("Percakapan yang Anda tangani: lanjutkan atau tutup dengan laporan"), None))
    return items
