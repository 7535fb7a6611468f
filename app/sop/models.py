"""Closures of the working calendar, procedure versions, cases, their steps and notices."""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, defer, lazyload, mapped_column, query_expression, relationship

from app.auth.models import User
from app.crypto import register_sealed
from app.database import UTCDateTime, state_enum, utcnow
from app.extensions import db
from app.org.models import Institution, Unit  # noqa: F401 - Institution moved to app.org; old imports keep working


class Closure(db.Model):
    """A day the institution is closed (own closure, late decree) or open despite a holiday."""

    __tablename__ = "closures"
    __table_args__ = (UniqueConstraint("institution_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    open: Mapped[bool] = mapped_column(default=False)  # True: works although a national holiday
    reason: Mapped[str] = mapped_column(String(200))


class ProcedureVersion(db.Model):
    """One version of a procedure definition; a case keeps the version it started with."""

    __tablename__ = "procedure_versions"
    __table_args__ = (UniqueConstraint("code", "version"), UniqueConstraint("code", "digest"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class StepState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"
    SKIPPED = "skipped"


class Case(db.Model):
    """One run of a procedure for one person or one event."""

    __tablename__ = "cases"
    # The case list pages newest first, with or without a state filter (keyset), and reads a
    # person's cases (as subject, opener, assignee) newest first the same way; a service's open
    # cases oldest first (e-konseling requests waiting for a counselor; also the code alone).
    __table_args__ = (Index("ix_cases_opened_at_id", "opened_at", "id"),
                      Index("ix_cases_state_opened_at_id", "state", "opened_at", "id"),
                      Index("ix_cases_code_state_opened_at", "code", "state", "opened_at"),
                      Index("ix_cases_subject_id_opened_at", "subject_id", "opened_at", "id"),
                      Index("ix_cases_opened_by_id_opened_at", "opened_by_id", "opened_at", "id"),
                      Index("ix_cases_assignee_id_opened_at", "assignee_id", "opened_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[CaseState] = mapped_column(state_enum(CaseState), default=CaseState.OPEN)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit the case belongs to (the one offering its procedure to the person who asked).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # values that are not confidential
    sealed: Mapped[str | None] = mapped_column(Text)  # confidential values, encrypted

    version: Mapped[ProcedureVersion] = relationship(lazy="joined")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="joined")
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    unit: Mapped[Unit | None] = relationship()
    steps: Mapped[list[CaseStep]] = relationship(back_populates="case", order_by="[CaseStep.position, CaseStep.attempt]",
                                                 cascade="all, delete-orphan")
    members: Mapped[list[CaseMember]] = relationship(order_by="CaseMember.added_at", cascade="all, delete-orphan")
    reviews: Mapped[list[CaseReview]] = relationship(order_by="CaseReview.opened_at", cascade="all, delete-orphan")
    # Since when the person served has waited for an answer, where a list asks for it (online.tasks:
    # a new request since its person's last step, a conversation since their first message not
    # answered yet).
    waiting_since: Mapped[datetime | None] = query_expression()

    @property
    def procedure(self):
        """The procedure exactly as this case's version stored it."""
        from app.sop.registry import procedure_of

        return procedure_of(self.version)

    def current_steps(self) -> list[CaseStep]:
        """One row per step: its latest pass (a step sent back runs again as a new pass)."""
        latest: dict[str, CaseStep] = {}
        for row in self.steps:
            if row.key not in latest or row.attempt > latest[row.key].attempt:
                latest[row.key] = row
        return sorted(latest.values(), key=lambda r: r.position)

    def step_row(self, key: str) -> CaseStep | None:
        """The latest pass of step `key`."""
        return next((r for r in self.current_steps() if r.key == key), None)

    def team(self) -> list[CaseMember]:
        """The current team (memberships not removed)."""
        return [m for m in self.members if m.removed_at is None]

    def can_view(self, user) -> bool:
        from app.sop import access

        return access.can_view(user, self)

    def can_act(self, user, row: CaseStep) -> bool:
        from app.sop import access

        return access.can_act(user, self, row)

    def can_read(self, user, key: str) -> str | None:
        """On what ground `user` may read confidential value `key` (None: not at all)."""
        from app.sop import access

        return access.read_ground(user, self, key)


class CaseStep(db.Model):
    """One step of a case: who may act, when it is due, who did it and what it produced."""

    __tablename__ = "case_steps"
    __table_args__ = (
        UniqueConstraint("case_id", "key", "attempt"),
        # What the deadline sweep reads: only active steps with a notice still to send.
        Index("ix_case_steps_next_notice_at", "next_notice_at",
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
        Index("ix_case_steps_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))
    # Every pass through a step is a row of its own: a step sent back runs again as pass 2, 3…
    attempt: Mapped[int] = mapped_column(default=1, server_default="1")
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[StepState] = mapped_column(state_enum(StepState), default=StepState.PENDING)
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Working minutes from activation to completion, as the deadline was computed.
    duration_minutes: Mapped[int | None]
    standard_minutes: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    sealed: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="steps")
    done_by: Mapped[User | None] = relationship(lazy="joined")
    # Who may act, one row per role, for lists that filter in SQL; not loaded with the step.
    actors: Mapped[list[CaseStepActor]] = relationship(cascade="all, delete-orphan", passive_deletes=True, lazy="raise")

    @property
    def roles(self) -> list[str]:
        """Who may act: as the case's procedure version names it (the same as `actors`)."""
        return list(self.case.procedure.step(self.key).roles)

    @property
    def on_time(self) -> bool | None:
        if self.due_at is None or self.done_at is None:
            return None
        return self.done_at <= self.due_at


class CaseStepActor(db.Model):
    """A role (or `subject`, `assignee`) that may act on a case step: what "Tugas saya" and the
    case lists match with an index, instead of searching a comma string."""

    __tablename__ = "case_step_actors"
    __table_args__ = (Index("ix_case_step_actors_role_case_step_id", "role", "case_step_id"),)

    case_step_id: Mapped[int] = mapped_column(ForeignKey("case_steps.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class OpenTask(db.Model):
    """An active step of an open case that anyone holding `role` in the case's unit may act on
    (not only its team): a role that is not a team role of the procedure, or a team role nobody
    serves or served the case in yet (taking the step claims the case). Kept by the engine as steps
    start and stop and as the team grows (app/sop/access.py: keep_open_tasks), so that "Tugas saya"
    and the case lists read the work waiting for a role by index, not every open case's active
    step. It repeats what the lists order and filter by: of the case, what never changes (its
    code, unit and opening time), of the step, when it began and is due (rewritten whenever they
    change): a role's newest cases, and its tasks due soonest, are then read in order from here
    alone."""

    __tablename__ = "open_tasks"
    __table_args__ = (Index("ix_open_tasks_role_opened_at", "role", "opened_at", "case_id"),
                      Index("ix_open_tasks_role_due_at", "role", "due_at", "active_at", "case_step_id"))

    case_step_id: Mapped[int] = mapped_column(ForeignKey("case_steps.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpWait(db.Model):
    """An open case in its follow-up (every step behind it) that anyone holding `role` in the
    case's unit may take: a `follow_up.closed_by` team role nobody serves or served the case in
    yet (a new online request waiting for a counselor). Kept by the engine as the case enters and
    leaves its follow-up and as the team grows (app/sop/access.py: keep_follow_up), so that "Tugas
    saya" and the case lists read what waits for a role by index, not every open case. Of the
    case it repeats what never changes: its code, unit and opening time."""

    __tablename__ = "follow_up_waits"
    __table_args__ = (Index("ix_follow_up_waits_role_opened_at", "role", "opened_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)


def step_actors(roles) -> list[CaseStepActor]:
    return [CaseStepActor(role=role) for role in dict.fromkeys(roles)]


def case_list_options() -> tuple:
    """The loader options of a list's row of cases: not their values, sealed values or people."""
    return defer(Case.data), defer(Case.sealed), lazyload(Case.subject), lazyload(Case.assignee)


def step_list_options() -> tuple:
    """The loader options of a list's row of steps: not their values, sealed values or doer."""
    return defer(CaseStep.data), defer(CaseStep.sealed), lazyload(CaseStep.done_by)


class NoticeKind(enum.StrEnum):
    REMINDER = "reminder"
    DUE = "due"
    ESCALATION = "escalation"


class Notice(db.Model):
    """A reminder, due notice or escalation sent for a step: at most one of each kind, ever."""

    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("case_step_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_step_id: Mapped[int] = mapped_column(ForeignKey("case_steps.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind] = mapped_column(state_enum(NoticeKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseAccess(db.Model):
    """The access log: who opened a case or read its confidential content, what, when and why."""

    __tablename__ = "case_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Which confidential values were read (field keys) and on what ground (team, author, review…).
    fields: Mapped[str | None] = mapped_column(String(400))
    reason: Mapped[str | None] = mapped_column(String(400))

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def reason_for_subject(self) -> str | None:
        """What the person served sees of why: the ground of a read ("team", "grant:staff",
        "review"), never the head's written review reason or a note on a team change."""
        if self.action not in ("read", "export") or not self.reason:
            return None
        return ", ".join("review" if part.startswith("review") else part for part in self.reason.split(", "))


class CaseMember(db.Model):
    """A member of a case's team: assigned, claimed or added by the head. A removal keeps the row
    (removed_at, removed_by), so the team's history stays on the case."""

    __tablename__ = "case_members"
    __table_args__ = (
        # One active membership per person and case, by the database.
        Index("uq_case_members_active", "case_id", "user_id", unique=True,
              sqlite_where=text("removed_at IS NULL"), postgresql_where=text("removed_at IS NULL")),
        Index("ix_case_members_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(40))  # the role they serve the case in (counselor, psychiatrist…)
    how: Mapped[str] = mapped_column(String(20))  # assigned | claimed | added
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(400))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])


class CaseReview(db.Model):
    """A head's break-glass review (ekspos kasus): reads the whole case until `expires_at`,
    for the written reason; shown to the team and in the access log."""

    __tablename__ = "case_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(1000))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def until(self) -> datetime:
        """The last minute of the review (shown as "sampai … 23.59")."""
        return self.expires_at - timedelta(minutes=1)


register_sealed(Case, "sealed")
register_sealed(CaseStep, "sealed")
