"""Who may see a case, act on its steps and read its confidential values: the one home of these
rules, and the one loader every route uses to fetch a case with the access it needs.

- A case is *seen* (administrative facts: who, which step, when) by its subject, its opener, its
  team, whoever acted or may act now, and the roles it escalates to (the head).
- What a *role* grants (acting on a step, overseeing as head, serving on the team, a `share_with`
  grant) holds only in the units the person belongs to: the head of P2KLLK is not the head of a
  PUSPAGA case, and a counselor moved to another unit no longer serves its cases.
- Confidential values are *read* only by the case team, the author of the value, the subject
  (the request form, which is their own words, and what the procedure shares back with them),
  roles the procedure grants that value (`share_with`), and a head during a break-glass review.
  Every read is written to the access log with its ground.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Callable
from zoneinfo import ZoneInfo

from blinker import Namespace
from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Integer, and_, bindparam, delete, event, exists, false, literal, or_, update
from sqlalchemy.orm import Session, aliased

from app.auth.models import User
from app.auth.roles import role_label
from app.crypto import UndecryptableError, unseal
from app.database import add_durable, union_of, utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import letters
from app.org.models import UserUnit
from app.org.services import cached_unit_ids
from app.sop.models import (Case, CaseAccess, CaseMember, CaseReview, CaseState, CaseStep, CaseStepActor,
                            FollowUpWait, OpenTask, StepState)

SPECIAL_ACTORS = {"subject", "assignee"}
MIN_REVIEW_REASON = 10

# Sent when someone is taken off a case's team, inside the same transaction: receivers stop what
# they had sent on its way to that person about the case (booking: its sessions' reminders).
team_left = Namespace().signal("team-left")


# -- the team -------------------------------------------------------------------------------
def on_team(user: User, case: Case) -> bool:
    """A current member who still holds the role they serve the case in, in the case's unit (a
    counselor who lost the counselor role, or moved to another unit, reads nothing more, whatever
    the membership row says)."""
    return (user.is_authenticated and any(m.user_id == user.id and user.has_role(m.role) for m in case.team())
            and in_unit(user, case))


def _open_to_claim(case: Case, role: str) -> bool:
    """Nobody serves the case in `role`, and nobody was taken off it in that role: after a removal
    the head chooses who comes next (the removed one cannot simply claim it back)."""
    return not any(m.role == role for m in case.members)


def claimable_role(user: User, case: Case, row: CaseStep) -> str | None:
    """The team role in which `user` would claim the case by taking this step."""
    if on_team(user, case):
        return None
    team_roles = set(case.procedure.team_roles)
    return next((r for r in row.roles if r in team_roles and holds_role(user, case, r) and _open_to_claim(case, r)),
                None)


def in_follow_up(case: Case) -> bool:
    """Every step is behind the case, yet it stays open: its procedure's `follow_up` (the
    counselor's answers, sessions) goes on until one of `closed_by` closes it."""
    return (case.state == CaseState.OPEN and case.procedure.follow_up is not None
            and not any(r.state in (StepState.ACTIVE, StepState.PENDING) for r in case.current_steps()))


def follow_up_open_roles(case: Case) -> list[str]:
    """The team roles in which someone of the case's unit may take it in its follow-up: those of
    `follow_up.closed_by` nobody serves (or served) it in, while it is in its follow-up."""
    if not in_follow_up(case):
        return []
    team_roles = set(case.procedure.team_roles)
    return [r for r in dict.fromkeys(case.procedure.follow_up.closed_by) if r in team_roles and _open_to_claim(case, r)]


def follow_up_role(user: User, case: Case) -> str | None:
    """The team role in which `user` would take a case in follow-up nobody serves yet."""
    if on_team(user, case):
        return None
    return next((r for r in follow_up_open_roles(case) if holds_role(user, case, r)), None)


def keep_follow_up(case: Case) -> None:
    """Record whom the case waits for in its follow-up (FollowUpWait rows, what the lists read):
    the holders of its follow_up_open_roles, nobody once it leaves its follow-up. The engine calls
    this whenever the case may enter or leave it (a step starts, the steps run out, the case
    closes); _add_member when a team role is taken."""
    if case.procedure.follow_up is None:
        return
    if case.id is None:
        db.session.flush()
    db.session.execute(delete(FollowUpWait).where(FollowUpWait.case_id == case.id))
    db.session.add_all(FollowUpWait(case_id=case.id, role=role, code=case.code, unit_id=case.unit_id,
                                    opened_at=case.opened_at) for role in follow_up_open_roles(case))


def can_close(user: User, case: Case) -> bool:
    """A team member holding one of the `follow_up.closed_by` roles closes a case in follow-up."""
    return in_follow_up(case) and on_team(user, case) and holds_role(user, case, *case.procedure.follow_up.closed_by)


# -- units ----------------------------------------------------------------------------------
def in_unit(user: User, case: Case) -> bool:
    """The case is one of the user's units' (a case of no unit belongs to every unit)."""
    return case.unit_id is None or case.unit_id in cached_unit_ids(user)


def holds_role(user: User, case: Case, *roles: str) -> bool:
    """The user holds one of these roles for this case: the role, in the case's unit."""
    return user.is_authenticated and user.has_role(*roles) and in_unit(user, case)


def besides_served(case: Case, people: list[User]) -> list[User]:
    """`people` (the holders of a role: heads, counselors on duty, a letter's recipients) without
    the person the case serves, who takes part in it only as its subject (can_act, is_head_of)."""
    return [person for person in people if person.id != case.subject_id]


def is_head_of(user: User, case: Case) -> bool:
    """One of the roles the procedure escalates to (the head), in the case's unit; never for the
    case of which they are the person served (a head asking for counseling does not run, review
    or change the team of their own case)."""
    return user.id != case.subject_id and holds_role(user, case, *case.procedure.escalate_to)


def in_units_of(user: User, case=Case):
    """SQL condition mirroring in_unit."""
    return or_(case.unit_id.is_(None), case.unit_id.in_(db.select(UserUnit.unit_id).where(UserUnit.user_id == user.id)))


# -- seeing and acting ----------------------------------------------------------------------
def can_claim(user: User, case: Case) -> bool:
    """The user may take the case by one of its active steps, or in its follow-up."""
    return any(row.state == StepState.ACTIVE and claimable_role(user, case, row) and can_act(user, case, row)
               for row in case.steps) or follow_up_role(user, case) is not None


def can_act(user: User, case: Case, row: CaseStep) -> bool:
    """The step is active, the case open, and the user is its actor: the subject or assignee it
    names, or a holder of one of its roles — for a team role, a team member, or anyone while the
    case has no team member in that role yet (taking the step claims the case)."""
    if not user.is_authenticated or row.state != StepState.ACTIVE or case.state != CaseState.OPEN:
        return False
    roles = set(row.roles)
    if case.subject_id == user.id:  # the person served acts on their case only as its subject
        return "subject" in roles
    if on_team(user, case):
        return "assignee" in roles and case.assignee_id == user.id or user.has_role(*(roles - SPECIAL_ACTORS))
    return in_unit(user, case) and user.has_role(*open_roles(case, row))


def open_roles(case: Case, row: CaseStep) -> list[str]:
    """The roles whose holders in the case's unit may act on the step without being on its team:
    those that are not team roles of the procedure, and the team roles nobody serves (or served)
    the case in yet."""
    team_roles = set(case.procedure.team_roles)
    return [role for role in dict.fromkeys(row.roles)
            if role not in SPECIAL_ACTORS and (role not in team_roles or _open_to_claim(case, role))]


def keep_open_tasks(case: Case, row: CaseStep) -> None:
    """Record whom beyond the team the step waits for now (OpenTask rows, what the lists read):
    the holders of its open_roles while it is active, nobody once it is not. The engine calls
    this whenever a step starts, stops or is scheduled again; _add_member when a team role is
    taken."""
    if row.id is None:
        db.session.flush()
    db.session.execute(delete(OpenTask).where(OpenTask.case_step_id == row.id))
    if row.state == StepState.ACTIVE and case.state == CaseState.OPEN:
        db.session.add_all(OpenTask(case_step_id=row.id, role=role, case_id=case.id, code=case.code,
                                    unit_id=case.unit_id, opened_at=case.opened_at, due_at=row.due_at,
                                    active_at=row.active_at) for role in open_roles(case, row))


def can_view(user: User, case: Case) -> bool:
    """Administrative facts of the case (never its confidential values by themselves)."""
    if not user.is_authenticated:
        return False
    if user.id in (case.subject_id, case.opened_by_id) or on_team(user, case):
        return True
    if is_head_of(user, case):
        return True
    # the steps someone did stay theirs to see while the case is one of their units' (a step done
    # by role was done in the unit; who left it sees no more). Who may take a case in its
    # follow-up sees it only as its conversation shows it before then (the procedure's preview,
    # never who asks): not here.
    return any((step.done_by_id == user.id and in_unit(user, case)) or can_act(user, case, step)
               for step in case.steps)


def is_participant(user: User, case: Case) -> bool:
    """The person served or a member of the team (booking, the conversation)."""
    return user.is_authenticated and (case.subject_id == user.id or on_team(user, case))


def can_review(user: User, case: Case) -> bool:
    """The head (the roles the procedure escalates to) may open a case for review."""
    return is_head_of(user, case) and not on_team(user, case)


def can_see_log(user: User, case: Case) -> bool:
    """The access log is for the case team and the heads."""
    return on_team(user, case) or is_head_of(user, case)


def load_case(case_id: int, allowed: Callable[[User, Case], bool] | None = None) -> Case:
    """The case for the current user: 404 when they may not see it (its existence stays hidden),
    403 when they see it but lack the access `allowed` asks for."""
    case = db.session.get(Case, case_id)
    if case is None or not can_view(current_user, case):
        abort(404)
    if allowed is not None and not allowed(current_user, case):
        abort(403)
    return case


# -- reading confidential values ------------------------------------------------------------
def undecryptable(case: Case) -> DomainError:
    return DomainError(_("Isi rahasia kasus #%(id)d tidak dapat dibuka dengan kunci enkripsi yang terpasang "
                         "(DATA_ENCRYPTION_KEY berubah?). Tidak ada yang diubah; hubungi admin.", id=case.id))


def sealed_values(case: Case) -> dict:
    """The case's confidential values, decrypted; a key that no longer fits is an error, never {}."""
    try:
        return unseal(case.sealed)
    except UndecryptableError:
        raise undecryptable(case) from None


def active_review(user: User, case: Case, now: datetime | None = None) -> CaseReview | None:
    now = now or utcnow()
    return next((r for r in case.reviews if r.user_id == user.id and r.expires_at > now), None)


def read_ground(user: User, case: Case, key: str, now: datetime | None = None) -> str | None:
    """Why `user` may read confidential value `key` ("team", "author", "subject", "grant:<role>",
    "review"), or None."""
    if not user.is_authenticated:
        return None
    field, step = case.procedure.field_origins().get(key, (None, None))
    follow_up = case.procedure.follow_up
    if field is None and follow_up and follow_up.report and follow_up.report.key == key:
        # the closing report: the team's, and whom it is shared with (or a review)
        if on_team(user, case):
            return "team"
        granted = next((r for r in follow_up.report.share_with if r != "subject" and holds_role(user, case, r)), None)
        if "subject" in follow_up.report.share_with and user.id == case.subject_id:
            return "subject"
        if granted and can_view(user, case):
            return f"grant:{granted}"
        return "review" if active_review(user, case, now) else None
    if field is None:
        return None
    if on_team(user, case):
        return "team"
    if step is None and case.opened_by_id == user.id:
        return "author"
    if (step is not None and any(r.key == step.key and r.done_by_id == user.id for r in case.steps)
            and (user.id == case.subject_id or holds_role(user, case, *(set(step.roles) - SPECIAL_ACTORS)))):
        return "author"  # what they wrote in a step, while they still hold a role that writes it
    if case.subject_id == user.id and ("subject" in field.share_with or (step is None and case.procedure.self_service)):
        return "subject"  # what the procedure shares back, or the request form a subject could fill in themselves
    granted = next((r for r in field.share_with if r != "subject" and holds_role(user, case, r)), None)
    if granted and can_view(user, case):
        return f"grant:{granted}"
    if active_review(user, case, now):
        return "review"
    return None


def readable_values(user: User, case: Case, now: datetime | None = None) -> tuple[dict, dict]:
    """The confidential values `user` may read (decrypted) and the ground of each."""
    sealed = sealed_values(case)
    values, grounds = {}, {}
    for key, value in sealed.items():
        ground = read_ground(user, case, key, now)
        if ground:
            values[key], grounds[key] = value, ground
    return values, grounds


VIEW_FOLD = timedelta(minutes=10)


def log_access(case: Case, user: User, action: str, grounds: dict | None = None, reason: str | None = None) -> None:
    """One line of the access log: who, what (the values read), when, why. Opening the case again
    within ten minutes (without reading anything) is folded into the earlier line, so repeated
    views cannot push reads, reviews and team changes out of sight."""
    if action == "view" and db.session.scalar(db.select(CaseAccess.id).where(
            CaseAccess.case_id == case.id, CaseAccess.user_id == user.id, CaseAccess.action == "view",
            CaseAccess.at > utcnow() - VIEW_FOLD).limit(1)):
        return
    fields = ",".join(sorted(grounds or {}))[:400] or None
    why = reason or ", ".join(sorted(set((grounds or {}).values()))) or None
    if why and "review" in why and reason is None:
        review = active_review(user, case)
        why = f"review: {review.reason}" if review else why
    add_durable(CaseAccess, case_id=case.id, user_id=user.id, action=action[:40], fields=fields,
                reason=why[:400] if why else None, at=utcnow())


def access_log(case: Case, views: int = 200, others: int = 5000) -> list[CaseAccess]:
    """The log, newest first: every read, review and team change (up to `others`), and the latest
    plain openings — so openings never crowd the reads out."""
    base = db.select(CaseAccess).where(CaseAccess.case_id == case.id).order_by(CaseAccess.at.desc(),
                                                                                CaseAccess.id.desc())
    rows = list(db.session.scalars(base.where(CaseAccess.action != "view").limit(others)))
    rows += db.session.scalars(base.where(CaseAccess.action == "view").limit(views))
    return sorted(rows, key=lambda e: (e.at, e.id), reverse=True)


# -- changing a case -------------------------------------------------------------------------
def lock_case(case: Case) -> None:
    """Serialize what changes one case (a step done, the team joined or left, the case closed):
    the UPDATE holds the case's row lock (PostgreSQL) or the write lock (SQLite) until the
    transaction ends, and the case, its steps and its team are read again under it, so that the
    caller's checks see what a request done meanwhile changed (two counselors answering at once:
    the first takes the case, the second is told so). Once per case and transaction."""
    locked = db.session.info.setdefault("locked_cases", set())
    if case.id is None or case.id in locked:
        return
    db.session.execute(update(Case).where(Case.id == case.id).values(state=Case.state)
                       .execution_options(synchronize_session=False))
    locked.add(case.id)
    for loaded in (*case.__dict__.get("steps", ()), *case.__dict__.get("members", ()), case):
        db.session.expire(loaded)  # read again when next used


@event.listens_for(Session, "after_transaction_end")
def _unlocked(session, transaction):
    if transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop("locked_cases", None)


# -- changing the team ----------------------------------------------------------------------
def _add_member(case: Case, user: User, role: str, how: str, actor: User | None, now: datetime,
                note: str | None = None) -> CaseMember:
    """Every way onto a team ends here: the person served is never on their own case's team (a
    student who is also a counselor would read, act on and close their own case as its team)."""
    if case.subject_id is not None and user.id == case.subject_id:
        raise DomainError(_("Orang yang dilayani tidak dapat menjadi anggota tim kasusnya sendiri."))
    member = CaseMember(case_id=case.id, user_id=user.id, role=role, how=how, added_at=now,
                        added_by_id=actor.id if actor else None, note=note)
    member.user = user
    case.members.append(member)
    if role in case.procedure.team_roles:  # its steps wait for this member now, not for every holder
        db.session.execute(delete(OpenTask).where(OpenTask.case_id == case.id, OpenTask.role == role))
        db.session.execute(delete(FollowUpWait).where(FollowUpWait.case_id == case.id, FollowUpWait.role == role))
        if case.assignee_id is None:
            case.assignee = user
    db.session.add(CaseAccess(case_id=case.id, user_id=(actor or user).id, action=f"team:{how}",
                              reason=f"{user.name} ({role_label(role)})" + (f": {note}" if note else "")))
    return member


def claim_follow_up(case: Case, user: User, now: datetime | None = None) -> CaseMember:
    """Take a case in follow-up that nobody serves yet (a counselor answering it)."""
    lock_case(case)
    role = follow_up_role(user, case)
    if role is None:
        raise DomainError(_("Kasus ini sudah ditangani tim lain atau bukan untuk Anda."))
    return _add_member(case, user, role, "claimed", user, now or utcnow())


def claim(case: Case, user: User, row: CaseStep, now: datetime | None = None) -> CaseMember:
    """Take the case as its counselor (or other team role) by taking one of its steps."""
    lock_case(case)
    role = claimable_role(user, case, row)
    if role is None or not can_act(user, case, row):
        raise DomainError(_("Kasus ini sudah ditangani tim lain atau langkah ini bukan untuk Anda."))
    return _add_member(case, user, role, "claimed", user, now or utcnow())


def assign(case: Case, user: User, role: str, actor: User, now: datetime | None = None) -> CaseMember:
    """The assignment step names the officer: they join the team, replacing an earlier assignee."""
    lock_case(case)
    now = now or utcnow()
    for member in case.team():
        if member.role == role and member.how == "assigned" and member.user_id != user.id:
            member.removed_at, member.removed_by_id, member.note = now, actor.id, _("diganti")
    if not any(m.user_id == user.id for m in case.team()):
        _add_member(case, user, role, "assigned", actor, now)
    case.assignee = user
    return next(m for m in case.team() if m.user_id == user.id)


def add_member(case: Case, actor: User, user: User | None, role: str, note: str,
               now: datetime | None = None) -> CaseMember:
    """The head adds someone to the team (a supervisor, a psychiatrist for this case)."""
    lock_case(case)
    now = now or utcnow()
    procedure = case.procedure
    if not is_head_of(actor, case):
        raise DomainError(_("Hanya kepala unit yang dapat mengubah tim kasus."))
    if role not in procedure.team_roles:
        raise DomainError(_("Peran ini bukan peran tim untuk layanan ini."))
    if user is None or not user.active or not holds_role(user, case, role):
        raise DomainError(_("Pilih pengguna aktif yang memegang peran tersebut di unit kasus ini."))
    if any(m.user_id == user.id for m in case.team()):
        raise DomainError(_("%(name)s sudah menjadi anggota tim.", name=user.name))
    if not note.strip():
        raise DomainError(_("Tuliskan alasan perubahan tim."))
    return _add_member(case, user, role, "added", actor, now, note.strip()[:400])


def remove_member(case: Case, actor: User, member_id: int, note: str, now: datetime | None = None) -> CaseMember:
    """The head takes someone off the team; the row stays as history."""
    lock_case(case)
    now = now or utcnow()
    if not is_head_of(actor, case):
        raise DomainError(_("Hanya kepala unit yang dapat mengubah tim kasus."))
    member = next((m for m in case.team() if m.id == member_id), None)
    if member is None:
        raise DomainError(_("Anggota tim tidak ditemukan."))
    if not note.strip():
        raise DomainError(_("Tuliskan alasan perubahan tim."))
    member.removed_at, member.removed_by_id, member.note = now, actor.id, note.strip()[:400]
    if case.assignee_id == member.user_id:
        successor = next((m for m in case.team() if m.role == member.role), None)
        case.assignee = successor.user if successor else None
    db.session.add(CaseAccess(case_id=case.id, user_id=actor.id, action="team:removed",
                              reason=f"{member.user.name} ({role_label(member.role)}): {member.note}"))
    team_left.send(case, user_id=member.user_id, now=now)
    return member


def join_team(case: Case, user: User, role: str, actor: User, now: datetime | None = None) -> CaseMember:
    """A domain puts someone on the case team in a team role (a workshop's committee member);
    who may do so is that domain's rule. Already on the team: nothing changes."""
    lock_case(case)
    existing = next((m for m in case.team() if m.user_id == user.id), None)
    return existing or _add_member(case, user, role, "added", actor, now or utcnow())


def leave_team(case: Case, user_id: int, actor: User, now: datetime | None = None) -> None:
    """A domain takes someone off the case team (the row stays as history)."""
    lock_case(case)
    for member in case.team():
        if member.user_id == user_id:
            member.removed_at, member.removed_by_id = now or utcnow(), actor.id
            if case.assignee_id == user_id:
                successor = next((m for m in case.team() if m.role == member.role and m.user_id != user_id), None)
                case.assignee = successor.user if successor else None
            db.session.add(CaseAccess(case_id=case.id, user_id=actor.id, action="team:removed",
                                      reason=f"{member.user.name} ({role_label(member.role)})"))
            team_left.send(case, user_id=user_id, now=now)


def open_review(case: Case, user: User, reason: str, now: datetime | None = None) -> CaseReview:
    """Break-glass: the head reads the whole case until the end of the day, for a written reason."""
    now = now or utcnow()
    if not can_review(user, case):
        raise DomainError(_("Hanya kepala unit di luar tim kasus yang dapat membuka kasus untuk telaah."))
    reason = (reason or "").strip()
    if letters(reason) < MIN_REVIEW_REASON:  # letters and digits, not invisible or blank marks
        raise DomainError(_("Tuliskan alasan telaah (minimal %(n)d karakter).", n=MIN_REVIEW_REASON))
    existing = active_review(user, case, now)
    if existing:
        return existing
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    local_end = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time.min, tz)
    review = CaseReview(case_id=case.id, user_id=user.id, reason=reason[:1000], opened_at=now,
                        expires_at=local_end.astimezone(now.tzinfo))
    review.user = user
    case.reviews.append(review)
    db.session.add(CaseAccess(case_id=case.id, user_id=user.id, action="review", reason=reason[:400]))
    return review


# -- lists ----------------------------------------------------------------------------------
class Someone:
    """Anyone holding these roles, as a list's SQL condition sees a user: the id is the bound
    parameter `user_id`, given when the statement runs. A statement built for Someone serves
    every user with the same roles (see shaped)."""

    id = bindparam("user_id", type_=Integer)
    is_authenticated = True

    def __init__(self, roles: frozenset[str]) -> None:
        self.roles = roles

    def has_role(self, *codes: str) -> bool:
        return not self.roles.isdisjoint(codes)


_SHAPES: dict[tuple, tuple] = {}


def shaped(name: str, user: User, build: Callable[[Someone], object], *shape) -> object:
    """The statement `build(Someone(user's roles))`, built once per process for each set of
    roles, each version of the loaded procedures and each `shape` (whatever else decides how it
    looks: the filters chosen); run it with {"user_id": user.id}. Building a list's statement (its
    access conditions) costs more than running it; a built one also keeps its cache key."""
    from app.sop.registry import procedures

    roles, loaded = frozenset(user.roles), tuple(procedures().values())  # the same objects until a file changes
    key = (name, roles, tuple(map(id, loaded)), *shape)
    entry = _SHAPES.get(key)
    if entry is None:
        if len(_SHAPES) >= 2000:  # role sets are few; a bound all the same
            _SHAPES.clear()
        entry = _SHAPES[key] = (build(Someone(roles)), loaded)  # kept alive, their ids stay theirs
    return entry[0]


def on_team_where(user: User, case=Case):
    """SQL condition mirroring on_team on `case`, the cases table or an alias of it in the
    enclosing query: a current member of its team who still holds the role they serve it in (a
    counselor who lost the role sees nothing more in any list), in the case's unit."""
    return and_(_member(user, case.id).correlate(case), in_units_of(user, case))  # `case` however deep it sits


def team_member_of(user: User, case_id):
    """SQL condition mirroring on_team for the case whose id is `case_id`, a column of an enclosing
    query that does not hold the case itself (an appointment's): its unit is looked up."""
    case = aliased(Case)  # its own: the enclosing query's cases are not this one's
    return and_(_member(user, case_id), exists().where(case.id == case_id, in_units_of(user, case)))


def _member(user: User, case_id):
    """A current membership of the user, in a role they still hold, of the case `case_id`."""
    return exists().where(CaseMember.case_id == case_id, CaseMember.user_id == user.id,
                          CaseMember.removed_at.is_(None), CaseMember.role.in_(sorted(user.roles)))


def step_names(role: str):
    """The step (CaseStep in the query) names `role` among those who may act."""
    return step_names_where(CaseStepActor.role == role)


def step_names_where(condition, case=Case):
    """The step (CaseStep in the query) has an actor row meeting `condition` (about the step's
    `case` too)."""
    return exists().where(CaseStepActor.case_step_id == CaseStep.id, condition).correlate(CaseStep, case)


def team_cases(user: User):
    """The ids of the cases the user is a current member of, in a role they still hold; on_team,
    once the caller adds in_units_of on those cases (the enclosing query holds them: joining them
    here again made PostgreSQL read every case)."""
    return db.select(CaseMember.case_id).where(CaseMember.user_id == user.id, CaseMember.removed_at.is_(None),
                                               CaseMember.role.in_(sorted(user.roles)))


def open_to(user: User, *columns):
    """`columns` of the OpenTask rows of the user's roles in their units: the active steps they may
    act on without being on the team (mirrors the last line of can_act: never of a case they are
    the person served of), read by index."""
    return db.select(*columns).where(OpenTask.role.in_(sorted(user.roles)), in_units_of(user, OpenTask),
                                     OpenTask.case_id.not_in(db.select(Case.id).where(Case.subject_id == user.id)))


# What a list's filters ask of a case (its code, its state), as OpenTask knows it: the cases it
# holds are open.
_OPEN_TASK_CASE = SimpleNamespace(code=OpenTask.code, state=literal(CaseState.OPEN.value))


def follow_up_roles(user: User, offered: Callable = lambda procedure: True) -> dict[str, list[str]]:
    """For each team role the user would take a case in its follow-up in (follow_up_role): the
    codes of the procedures (those `offered` says) whose follow-up that role closes."""
    from app.sop.registry import procedures

    by_role: dict[str, list[str]] = {}
    for code, procedure in procedures().items():
        if procedure.follow_up is None or not offered(procedure):
            continue
        for role in procedure.follow_up.closed_by:
            if role in procedure.team_roles and user.has_role(role):
                by_role.setdefault(role, []).append(code)
    return by_role


def follow_up_open_to(user: User, *columns, by_role: dict[str, list[str]] | None = None):
    """`columns` of the FollowUpWait rows of the user's units in a role `by_role` (follow_up_roles)
    lets the user take a case in, for its codes: the cases in follow-up they may take (mirrors
    follow_up_role, but for the team's own members), read by index."""
    by_role = follow_up_roles(user) if by_role is None else by_role
    return db.select(*columns).where(
        or_(false(), *(and_(FollowUpWait.role == role, FollowUpWait.code.in_(codes)) for role, codes in by_role.items())),
        in_units_of(user, FollowUpWait))


def visible_cases_filter(user: User, narrow: Callable | None = None, chosen: Callable = lambda query, case: query):
    """SQL condition matching can_view, for lists (administrative facts only).

    A list passes the keyset `narrow(select, time, id)` of its page (app/keyset.py) and the
    filters it has `chosen(select, case_alias)`: each way of seeing a case is then read by its own
    index, newest first, for the page's window only — the cases the user is the subject of, those
    they opened, ..., those they may act on now — and the page is the newest of these windows
    together. One condition OR-ing the ways would make the database walk every case, newest
    first, testing each (141 ms for an alumnus with two cases among 100,000)."""
    from app.sop.registry import procedures

    escalated_codes = [code for code, p in procedures().items() if user.has_role(*p.escalate_to)]
    ways = [
        lambda case: case.subject_id == user.id,
        lambda case: case.opened_by_id == user.id,
        lambda case: on_team_where(user, case),  # the assignee among them
        lambda case: and_(case.code.in_(escalated_codes), in_units_of(user, case)),
        lambda case: and_(exists().where(CaseStep.case_id == case.id, CaseStep.done_by_id == user.id),  # acted on
                          in_units_of(user, case)),
    ]
    # may act on now, not on the team (the team, the subject and the assignee are found above)
    acting = open_to(user, OpenTask.case_id, OpenTask.opened_at)
    if narrow is None:
        return or_(*(way(Case) for way in ways), Case.id.in_(acting.with_only_columns(OpenTask.case_id)))
    windows = []
    for way in ways:
        case = aliased(Case)
        windows.append(narrow(chosen(db.select(case.id, case.opened_at).where(way(case)), case), case.opened_at,
                              case.id))
    windows.append(narrow(chosen(acting.distinct(), _OPEN_TASK_CASE), OpenTask.opened_at, OpenTask.case_id))
    every = union_of(windows).subquery()
    page = narrow(db.select(every.c.id, every.c.opened_at), every.c.opened_at, every.c.id).subquery()
    return Case.id.in_(db.select(page.c.id))  # at most a page: the database looks each up by its key
