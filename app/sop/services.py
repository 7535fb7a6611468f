"""The SOP engine's rules: open a case, complete a step, activate the next one with its
deadline. Who may see, act and read is app/sop/access.py. Services flush, never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam
from sqlalchemy.orm import contains_eager, joinedload

from app.auth.models import User
from app.auth.roles import role_label
from app.crypto import seal
from app.database import union_of, utcnow
from app.errors import DomainError
from app.extensions import db
from app.sop.calendar import WorkingCalendar
from app.sop.access import (assign, can_act, can_close, claim, claimable_role, holds_role, in_follow_up,
                            in_units_of, keep_follow_up, keep_open_tasks, lock_case, on_team_where, open_to,
                            sealed_values, shaped, step_names_where, team_cases)
from app.sop.definitions import Field, Procedure, Step
from app.sop.models import (Case, CaseAccess, CaseState, CaseStep, CaseStepActor, OpenTask, ProcedureVersion,
                            StepState, case_list_options, step_actors, step_list_options)
from app.org.models import Unit
from app.sop.offerings import default_unit
from app.sop.registry import current_version, procedure_of
from app.sop.workcal import working_calendar

# Sent when a step is done, inside the same transaction: receivers (documents, booking) add
# their own effects, e.g. the step's letter.
step_completed = Namespace().signal("step-completed")

# Screens of other domains that carry out a step better than its generic form: the name a step
# declares (`screen: {name: booking}`) -> endpoint taking case_id.
STEP_SCREENS: dict[str, str] = {}
# Screens of other domains where the person served asks for a procedure themselves, instead of
# the generic request form: the name one of its steps declares -> endpoint taking code (the
# e-konseling wizard).
START_SCREENS: dict[str, str] = {}


def start_screen(procedure: Procedure) -> str | None:
    """The endpoint where the person served asks for `procedure` themselves, when a domain has
    its own screen for it (START_SCREENS); None: the generic request form."""
    return next((START_SCREENS[s.screen["name"]] for s in procedure.steps
                 if s.screen and s.screen["name"] in START_SCREENS), None)


# Conditions other domains set on the steps done on their screens: screen name -> callable
# (case, step, values) raising DomainError when the step may not be done yet (no informed
# consent recorded, a required document missing). complete_step asks, whatever form was used.
STEP_CHECKS: dict[str, Callable] = {}
# Access-log actions other domains write, in words ("letter:surat_tugas" -> "Surat Tugas").
ACTION_DETAILS: dict[str, str] = {}

# Panels other domains add to the case page (letters, appointments…): callables taking
# (case, user) and returning (template name, context) or None when they have nothing to show.
CASE_PANELS: list[Callable[[Case, User], tuple[str, dict] | None]] = []



@dataclass(frozen=True)
class TaskItem:
    """A task another domain puts in "Tugas saya" (a disposition addressed to the user): what,
    where it is done, its deadline; `replaces` is the id of a step row it stands for (that row is
    then not listed twice)."""

    title: str
    url: str
    case_id: int | None
    service: str
    due_at: datetime | None
    detail: str = ""
    replaces: int | None = None
    # A person waiting for an answer that has no standard time (a new e-konseling request), since
    # when: listed before every task with a deadline, the longest waiting first.
    waiting_since: datetime | None = None


# Tasks other domains contribute to "Tugas saya": callables taking (user, now) -> [TaskItem].
TASK_SOURCES: list[Callable[[User, datetime], list[TaskItem]]] = []

MAX_ESCALATION_GRACE = 8 * 60  # working minutes: at most one office day after the due time


# -- values ---------------------------------------------------------------------------------
def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.id
    return value


def _check_values(fields: tuple[Field, ...], values: dict) -> tuple[dict, dict]:
    """Refuse missing required inputs and unknown choices; split plain from confidential."""
    missing = [f.label for f in fields if f.required and values.get(f.key) in (None, "", False)]
    if missing:
        raise DomainError(_("Kelengkapan belum terpenuhi: %(fields)s.", fields=", ".join(missing)))
    plain, secret = {}, {}
    for f in fields:
        value = _jsonable(values.get(f.key))
        if f.type == "choice" and value not in (None, "") and value not in f.options:
            raise DomainError(_("Pilihan '%(value)s' tidak tersedia untuk %(field)s.", value=value, field=f.label))
        (secret if f.confidential else plain)[f.key] = value
    return plain, secret


def case_values(case: Case) -> dict:
    """Every value of the case (case fields and step inputs), confidential ones decrypted."""
    return {**(case.data or {}), **sealed_values(case)}


# -- access (the rules live in app/sop/access.py) -------------------------------------------
def case_panels(case: Case, user: User) -> list[tuple[str, dict]]:
    """What other domains show on the case page for this user."""
    return [panel for panel in (contribute(case, user) for contribute in CASE_PANELS) if panel]


def can_open(user: User, procedure: Procedure) -> bool:
    return user.has_role(*procedure.open_roles)


# -- deadlines ------------------------------------------------------------------------------
def _anchor(step: Step, case: Case, values: dict, now: datetime, calendar: WorkingCalendar) -> datetime | None:
    if step.start == "start":
        return case.opened_at
    if step.anchor_field:
        raw = values.get(step.anchor_field)
        if not raw:
            return None
        moment = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, datetime.min.time())
        return calendar.local(moment)
    return now


def schedule(case_step: CaseStep, step: Step, case: Case, values: dict, now: datetime,
             calendar: WorkingCalendar) -> None:
    """Set due, reminder and escalation times of an active step from its standard time."""
    case_step.due_at = case_step.remind_at = case_step.escalate_at = case_step.next_notice_at = None
    case_step.standard_minutes = None
    if step.duration is None:
        return
    start = _anchor(step, case, values, now, calendar)
    if start is None:
        return
    due = calendar.due(start, step.duration)
    case_step.due_at = due
    if step.duration.wall_clock:
        span = due - start
        case_step.standard_minutes = int(span.total_seconds() // 60)
        case_step.remind_at = None
        case_step.escalate_at = due + span
    else:
        span_minutes = calendar.working_minutes_between(start, due)
        case_step.standard_minutes = span_minutes
        lead = max(1, span_minutes // 4)  # remind when three quarters of the time have passed
        remind = calendar.add_working_minutes(start, max(0, span_minutes - lead)) if span_minutes > 4 else None
        case_step.remind_at = remind.astimezone(due.tzinfo) if remind and remind < due else None
        grace = min(MAX_ESCALATION_GRACE, max(30, span_minutes // 2))
        case_step.escalate_at = calendar.add_working_minutes(due, grace).astimezone(due.tzinfo)
    if step.remind_before is not None and step.anchor_field:
        # an appointment: the reminder goes out this long before it (wall clock)
        before = step.remind_before
        span = timedelta(minutes=before.minutes) if before.unit in ("minutes", "hours") else \
            timedelta(days=before.amount * (7 if before.unit == "weeks" else 1))
        case_step.remind_at = start - span if start - span > now else None
    case_step.next_notice_at = next_notice_time(case_step, now)


def next_notice_time(case_step: CaseStep, now: datetime, swept: bool = False) -> datetime | None:
    """When the deadline sweep next looks at the step: the earliest reminder, due or escalation
    moment ahead; for a step just (re)scheduled whose escalation has already passed, that moment,
    so the next sweep escalates at once (a step the sweep has handled at `now`: only what is ahead)."""
    ahead = [m for m in (case_step.remind_at, case_step.due_at, case_step.escalate_at) if m is not None and m > now]
    if ahead:
        return min(ahead)
    late = case_step.escalate_at
    return late if late is not None and not swept else None


def _activate(case: Case, procedure: Procedure, row: CaseStep, now: datetime, values: dict) -> CaseStep:
    step = procedure.step(row.key)
    row.state, row.active_at = StepState.ACTIVE, now
    schedule(row, step, case, values, now, working_calendar(case.unit_id))
    keep_open_tasks(case, row)
    keep_follow_up(case)
    return row


def _stop(case: Case, row: CaseStep, state: StepState) -> None:
    """The active step stops (done, or skipped): no more notices, nobody waits for it."""
    row.state, row.next_notice_at = state, None
    keep_open_tasks(case, row)


def _close(case: Case, now: datetime, state: CaseState = CaseState.CLOSED) -> None:
    for row in case.current_steps():
        if row.state == StepState.PENDING:
            row.state = StepState.SKIPPED
    case.state, case.closed_at = state, now
    keep_follow_up(case)


def _activate_next(case: Case, procedure: Procedure, after: int, now: datetime) -> CaseStep | None:
    """Activate the first applicable step after position `after`; skip those whose condition
    fails; close the case when none is left, unless its procedure has a `follow_up` (the case
    then stays open until closed by `close_case`)."""
    values = case_values(case)
    for row in case.current_steps():
        if row.position <= after or row.state != StepState.PENDING:
            continue
        if not procedure.step(row.key).applies(values):
            row.state = StepState.SKIPPED
            continue
        return _activate(case, procedure, row, now, values)
    if procedure.follow_up is None:
        _close(case, now)
    else:  # every step behind it: its follow-up begins
        keep_follow_up(case)
    return None


def close_case(case: Case, actor: User, values: dict, now: datetime | None = None) -> Case:
    """Close a case in its follow-up (every step behind it): a team member holding one of the
    procedure's `follow_up.closed_by` roles, with its `report` (kept on the case, confidential
    if declared so); the closing is in the case's access log."""
    now = now or utcnow()
    lock_case(case)
    procedure = procedure_of(case.version)
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    if not in_follow_up(case):
        raise DomainError(_("Kasus ini belum dapat ditutup: langkahnya belum selesai."))
    if not can_close(actor, case):
        raise DomainError(_("Kasus ini ditutup oleh konselor yang menanganinya."))
    report = procedure.follow_up.report
    plain, secret = _check_values((report,) if report else (), values)
    case.data = {**(case.data or {}), **plain}
    if secret:
        case.sealed = seal({**sealed_values(case), **secret})
    _close(case, now)
    db.session.add(CaseAccess(case_id=case.id, user_id=actor.id, action="close", at=now,
                              fields=",".join(sorted({**plain, **secret}))[:400] or None))
    db.session.flush()
    return case


def _send_back(case: Case, procedure: Procedure, target: str, upto: int, now: datetime) -> CaseStep:
    """Go back to an earlier step: it and every step up to the deciding one run again, each as a
    new pass (the earlier passes stay as history); the target is active with a new deadline."""
    first = procedure.step(target).number
    again = []
    for row in case.current_steps():
        if first <= row.position <= upto:
            again.append(CaseStep(position=row.position, key=row.key, attempt=row.attempt + 1, title=row.title,
                                  actors=step_actors(row.roles), state=StepState.PENDING))
    case.steps.extend(again)
    db.session.flush()
    return _activate(case, procedure, again[0], now, case_values(case))


def reopen_step(case: Case, step_key: str, now: datetime | None = None) -> CaseStep | None:
    """Run a done step again because what it recorded no longer holds (an agreed appointment was
    cancelled or moved): as a decision's `back:` does, it and every step after it up to the one
    reached run again as new passes, earlier passes kept as history; the step that was active
    stops (skipped, no more notices). None when the step's latest pass is not done or the case
    is not open: there is nothing to reopen."""
    now = now or utcnow()
    lock_case(case)
    row = case.step_row(step_key)
    if case.state != CaseState.OPEN or row is None or row.state != StepState.DONE:
        return None
    current = case.current_steps()
    reached = max(r.position for r in current if r.state in (StepState.ACTIVE, StepState.DONE))
    for other in current:
        if other.state == StepState.ACTIVE:
            _stop(case, other, StepState.SKIPPED)
    return _send_back(case, procedure_of(case.version), step_key, reached, now)


def _follow_outcome(case: Case, procedure: Procedure, step: Step, values: dict, now: datetime) -> None:
    """After a step is done: go on, go back, skip ahead or close, as its decision says."""
    kind, target = step.outcome(values)
    if kind == "close":
        _close(case, now)
    elif kind == "back":
        _send_back(case, procedure, target, step.number, now)
    elif kind == "skip":
        goal = procedure.step(target).number
        for row in case.current_steps():
            if step.number < row.position < goal and row.state == StepState.PENDING:
                row.state = StepState.SKIPPED
        _activate_next(case, procedure, goal - 1, now)
    else:
        _activate_next(case, procedure, step.number, now)


def open_case(procedure: Procedure, opener: User, values: dict, subject: User | None = None,
              title: str | None = None, now: datetime | None = None, unit: Unit | None = None,
              referral: bool = False) -> Case:
    """Open a case of `procedure` with its case fields, in `unit` (else the unit offering the
    procedure); its first step becomes active, due in the unit's working hours. A `referral` is
    opened for `subject` by one of the procedure's `referral.roles`, and its subject may also
    hold one of `referral.subject_roles` (e.g. a student after a workshop)."""
    now = now or utcnow()
    if referral:
        if subject is None or not opener.has_role(*procedure.referral_roles):
            raise DomainError(_("Peran Anda tidak dapat merujuk ke layanan %(title)s.", title=procedure.title))
    elif not can_open(opener, procedure):
        raise DomainError(_("Peran Anda tidak dapat membuka layanan %(title)s.", title=procedure.title))
    if subject is None and procedure.subject_role and opener.has_role(procedure.subject_role):
        subject = opener
    subject_roles = (procedure.subject_role, *(procedure.referral_subject_roles if referral else ()))
    if procedure.subject_role and subject is not None and not subject.has_role(*subject_roles):
        raise DomainError(_("Penerima layanan harus berperan %(role)s.", role=role_label(procedure.subject_role)))
    plain, secret = _check_values(procedure.fields, values)
    unit = unit or default_unit(procedure)
    if unit is None:  # a case of no unit would belong to every unit (access.in_unit)
        raise DomainError(_("Layanan %(title)s sedang tidak dibuka di unit mana pun.", title=procedure.title))
    case = Case(version=current_version(procedure), code=procedure.code, opened_by_id=opener.id,
                unit_id=unit.id,
                subject_id=subject.id if subject else None, opened_at=now, data=plain, sealed=seal(secret),
                title=(title or (f"{procedure.title} — {subject.name}" if subject else procedure.title))[:200])
    case.steps = [CaseStep(position=s.number, key=s.key, title=s.pass_title(1)[:300],
                           actors=step_actors(s.roles)) for s in procedure.steps]
    db.session.add(case)
    db.session.flush()
    _activate_next(case, procedure, 0, now)
    db.session.flush()
    return case


def complete_step(case: Case, step_key: str, user: User, values: dict, now: datetime | None = None) -> CaseStep:
    """Record a step as done by `user` with its inputs, then activate the next one.
    Refuses the wrong person, a step that is not the active one, and incomplete input."""
    now = now or utcnow()
    lock_case(case)
    procedure = procedure_of(case.version)
    row = case.step_row(step_key)
    if row is None:
        raise DomainError(_("Langkah tidak ditemukan."))
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    if row.state != StepState.ACTIVE:
        active = next((s for s in case.current_steps() if s.state == StepState.ACTIVE), None)
        raise DomainError(_("Langkah ini belum atau tidak lagi dapat dikerjakan; langkah yang aktif: %(step)s.",
                            step=active.title if active else "—"))
    if not can_act(user, case, row):
        raise DomainError(_("Langkah ini dikerjakan oleh pelaksana lain; Anda tidak dapat menyelesaikannya."))
    if claimable_role(user, case, row):
        claim(case, user, row, now)  # the first counselor to take a step takes the case
    step = procedure.step(step_key)
    check = STEP_CHECKS.get(step.screen["name"]) if step.screen else None
    if check is not None:
        check(case, step, values)
    plain, secret = _check_values(step.inputs, values)
    row.data, row.sealed = plain, seal(secret)
    case.data = {**(case.data or {}), **plain}
    if secret:
        case.sealed = seal({**sealed_values(case), **secret})
    if step.assigns:
        field = next(f for f in step.inputs if f.key == step.assigns)
        chosen = values[step.assigns]
        assignee = chosen if isinstance(chosen, User) else db.session.get(User, int(chosen))
        if assignee is None or not assignee.active or not holds_role(assignee, case, field.role):
            raise DomainError(_("Pengguna yang ditugaskan tidak ditemukan, tidak aktif, atau bukan bagian dari "
                                "unit kasus ini."))
        assign(case, assignee, field.role, user, now)
    _stop(case, row, StepState.DONE)
    row.done_at, row.done_by_id = now, user.id
    if row.active_at is not None:
        calendar = working_calendar(case.unit_id)
        row.duration_minutes = (int((now - row.active_at).total_seconds() // 60) if step.duration and step.duration.wall_clock
                                else calendar.working_minutes_between(row.active_at, now))
    passes = _passes_done(case, procedure, row)
    if passes < step.repeat:
        again = CaseStep(position=row.position, key=row.key, attempt=row.attempt + 1,
                         title=step.pass_title(passes + 1)[:300], actors=step_actors(row.roles), state=StepState.PENDING)
        case.steps.append(again)
        db.session.flush()
        _activate(case, procedure, again, now, case_values(case))
    else:
        _follow_outcome(case, procedure, step, {**plain, **secret}, now)
    db.session.flush()
    step_completed.send(case, step=step, row=row, user=user, now=now)
    return row


def _passes_done(case: Case, procedure: Procedure, row: CaseStep) -> int:
    """How many passes of a repeated step are done in its current run (the passes since the step
    before it was last done; a step sent back starts a new run)."""
    step = procedure.step(row.key)
    if step.repeat <= 1:
        return 1
    before = next((r for r in reversed(case.current_steps()) if r.position < row.position and r.done_at), None)
    since = before.done_at if before else None
    return sum(1 for r in case.steps if r.key == row.key and r.state == StepState.DONE
               and (since is None or (r.active_at and r.active_at >= since)))


def stop_case(case: Case, now: datetime | None = None) -> None:
    """Stop an open case before its end (a withdrawn consent): the active step stops (no more
    notices), the steps still to come are skipped, and the case reads "dihentikan", not done."""
    now = now or utcnow()
    lock_case(case)
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    for row in case.current_steps():
        if row.state == StepState.ACTIVE:
            _stop(case, row, StepState.SKIPPED)
    _close(case, now, CaseState.CANCELLED)
    db.session.flush()


def skip_to(case: Case, step_key: str, now: datetime | None = None) -> CaseStep:
    """An operator moves an open case forward to `step_key` (a command that sets up a case at a
    later stage): the steps before it that are not done are marked skipped (no letters, no
    notices: the compliance report shows them as skipped), the target becomes active."""
    now = now or utcnow()
    lock_case(case)
    procedure = procedure_of(case.version)
    target = procedure.step(step_key)
    if case.state != CaseState.OPEN:
        raise DomainError(_("Kasus ini sudah ditutup."))
    for row in case.current_steps():
        if row.position < target.number and row.state == StepState.ACTIVE:
            _stop(case, row, StepState.SKIPPED)
        elif row.position < target.number and row.state == StepState.PENDING:
            row.state = StepState.SKIPPED
    row = case.step_row(step_key)
    if row.state != StepState.ACTIVE:
        _activate(case, procedure, row, now, case_values(case))
    db.session.flush()
    return row


def restart_clock(case: Case, now: datetime) -> CaseStep | None:
    """The active step's time starts at `now`, its deadline computed again: a self-service stage
    begins when the person comes back to it (after confirming their e-mail), not when the earlier
    stage ended."""
    row = next((r for r in case.current_steps() if r.state == StepState.ACTIVE), None)
    if row is not None:
        _activate(case, procedure_of(case.version), row, now, case_values(case))
    return row


def recompute_deadlines(now: datetime | None = None) -> int:
    """After the calendar changed: recompute every active step's deadline from when it began."""
    now = now or utcnow()
    rows = db.session.scalars(db.select(CaseStep).join(Case).where(CaseStep.state == StepState.ACTIVE)
                              .options(db.contains_eager(CaseStep.case))).all()
    for row in rows:
        case = row.case
        step = procedure_of(case.version).step(row.key)
        schedule(row, step, case, case_values(case), row.active_at or now, working_calendar(case.unit_id))
        row.next_notice_at = next_notice_time(row, now)
        keep_open_tasks(case, row)
    db.session.flush()
    return len(rows)


# -- lists ----------------------------------------------------------------------------------
def task_list(user: User, now: datetime, limit: int = 200) -> list:
    """"Tugas saya": the steps waiting for the user (CaseStep rows) and what other domains put
    there (TaskItem), soonest due first after the people waiting for an answer (TaskItem's
    `waiting_since`); a contributed task stands in for the step it replaces."""
    contributed = [item for source in TASK_SOURCES for item in source(user, now)]
    replaced = {item.replaces for item in contributed if item.replaces}
    rows = [row for row in my_tasks(user, limit) if row.id not in replaced]
    items = rows + contributed
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def order(task):
        waiting = getattr(task, "waiting_since", None)  # a TaskItem's; a step row has none
        return waiting is None, waiting or far, task.due_at is None, task.due_at or far

    items.sort(key=order)
    return items[:limit]


TASK_ORDER = (CaseStep.due_at.is_(None), CaseStep.due_at, CaseStep.active_at, CaseStep.id)
# The same order as OpenTask keeps it, by its index (NULLS LAST is an ascending index's own order)
OPEN_TASK_ORDER = (OpenTask.due_at.asc().nulls_last(), OpenTask.active_at, OpenTask.case_step_id)


def _waiting_for(user):
    """The ids of the first `limit` steps (TASK_ORDER) waiting for the user by each way of acting
    on a step (mirrors can_act), each read by its own index: as the case's subject, as its
    assignee, by a role on its team, by a role open beyond the team (OpenTask). One condition
    OR-ing them made the database read every open case's active step for everyone (32 ms of an
    alumnus's home page among 100,000 cases)."""
    roles = sorted(user.roles)
    limit = bindparam("limit", type_=Integer)
    ways = [and_(Case.subject_id == user.id, step_names_where(CaseStepActor.role == "subject")),
            and_(Case.assignee_id == user.id, step_names_where(CaseStepActor.role == "assignee"),
                 on_team_where(user, Case)),
            and_(CaseStep.case_id.in_(team_cases(user)), in_units_of(user, Case),
                 step_names_where(CaseStepActor.role.in_(roles)))]
    # a step open to two of the user's roles is two rows: one step, one of the `limit`
    open_steps = (open_to(user, OpenTask.case_step_id, OpenTask.due_at, OpenTask.active_at).distinct()
                  .order_by(*OPEN_TASK_ORDER).limit(limit).subquery())
    return union_of([*(db.select(CaseStep.id).join(Case)
                       .where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN, way)
                       .order_by(*TASK_ORDER).limit(limit) for way in ways),
                     db.select(open_steps.c.case_step_id)])


def my_tasks(user: User, limit: int = 200) -> list[CaseStep]:
    """Steps waiting for the user's roles or for them personally, soonest due first. Only what a
    task list shows is loaded (not the case's values, people or stored definition)."""
    query = shaped("my_tasks", user, lambda someone: (
        db.select(CaseStep).join(Case).where(CaseStep.id.in_(_waiting_for(someone)),
                                             CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN)
        .options(*step_list_options(), contains_eager(CaseStep.case).options(
            *case_list_options(), joinedload(Case.version).defer(ProcedureVersion.definition)))
        .order_by(*TASK_ORDER).limit(bindparam("limit", type_=Integer))))
    return list(db.session.scalars(query, {"user_id": user.id, "limit": limit}))
