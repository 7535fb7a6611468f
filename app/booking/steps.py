"""The case an appointment serves: its steps say in YAML what booking fills in. The step with
`screen: {name: booking}` is agreed by the booked time (and runs again when that time no longer
holds); the step with `screen: {name: booking_session}` records whether the session took place.
A procedure whose `follow_up` declares `booking` books sessions on the case without a step."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User
from app.booking.models import Appointment, Mode
from app.errors import DomainError
from app.sop.access import can_act
from app.sop.models import Case, CaseState, StepState
from app.sop.services import complete_step, reopen_step


def agreement_step(case: Case | None):
    """The case's step agreed on the booking screen (`screen: {name: booking}`), if any."""
    return case.procedure.screen_step("booking") if case is not None else None


def booking_options(procedure) -> dict | None:
    """The booking screen's options (summary, mode, only, working_hours): the agreement step's, else
    those of the procedure's `follow_up.booking` (sessions booked on the case without a step)."""
    if procedure is None:
        return None
    step = procedure.screen_step("booking")
    if step is not None:
        return step.screen
    return procedure.follow_up.booking if procedure.follow_up else None


def requested_mode(case: Case | None) -> Mode | None:
    """The form of service the client asked for: the case value the booking screen's `mode` names."""
    options = booking_options(case.procedure) if case is not None else None
    if options and "only" in options:  # the step fixes the form of service (a video consultation)
        return Mode(options["only"])
    value = (case.data or {}).get(options["mode"]) if options and "mode" in options else None
    return Mode(value) if value in {m.value for m in Mode} else None


def reopen_agreement(appointment: Appointment, now: datetime) -> bool:
    """The agreed time no longer holds: the agreement step runs again (a new pass, active, a task
    for the client to choose a time) and the steps after it that had begun run again after it."""
    step = agreement_step(appointment.case)
    return step is not None and reopen_step(appointment.case, step.key, now) is not None


def record_outcome(appointment: Appointment, actor: User, outcome: str, now: datetime) -> None:
    """Complete the case's session step (`screen: {name: booking_session}`) with the decision option
    its screen names for `outcome` (held, no_show_rebook, no_show_close); its decision then goes on
    (letter, report), back to the agreement, or closes the case. A no-show while an earlier step
    is still open (the room not yet recorded ready) takes the case back to agreeing a time."""
    case = appointment.case
    step = case.procedure.screen_step("booking_session") if case is not None else None
    if step is None or outcome not in step.screen or case.state != CaseState.OPEN:
        return
    if case.step_row(step.key).state != StepState.ACTIVE:
        if outcome == "no_show_rebook" and reopen_agreement(appointment, now):
            return
        active = next((r for r in case.current_steps() if r.state == StepState.ACTIVE), None)
        raise DomainError(_("Hasil sesi belum dapat dicatat pada kasus: langkah yang masih aktif adalah "
                            "\u201c%(step)s\u201d.", step=active.title if active else "—"))
    complete_step(case, step.key, actor, {step.decision: step.screen[outcome]}, now=now)


def record_agreement(appointment: Appointment, actor: User, now: datetime) -> None:
    """The agreed time completes the case's step that declares the booking screen, filling the
    inputs its options name (`time`, `place`); the client's booking counts as the counselor's
    step where only the counselor acts on it."""
    case = appointment.case
    step = agreement_step(case)
    row = case.step_row(step.key) if step else None
    if row is None or row.state != StepState.ACTIVE:
        return
    values = {}
    if "time" in step.screen:
        local = appointment.start_at.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"]))
        values[step.screen["time"]] = local.replace(tzinfo=None)
    if "place" in step.screen:
        place = next(f for f in step.inputs if f.key == step.screen["place"])
        value = appointment.meeting_url or appointment.location or appointment.mode.value
        values[place.key] = value if place.type == "url" and appointment.meeting_url else value[:place.max]
    if "code" in step.screen and appointment.meeting_code:
        values[step.screen["code"]] = appointment.meeting_code
    doer = actor if can_act(actor, case, row) else appointment.counselor
    complete_step(case, step.key, doer, values, now=now)
