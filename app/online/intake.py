"""The self-service e-konseling wizard: a person opens the service and goes through the stages
the procedure declares with `screen: {name: online_intake}` — one short form each, its time
measured against the SOP's minutes. Stages with `part: account` are the registration and the
confirmation e-mail, taken from the account's own times."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

from app.auth.accounts import normalise_whatsapp, remember_profile
from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.sop.definitions import Procedure, Step
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.sop.offerings import unit_for_request
from app.sop.registry import procedure_of
from app.sop.services import complete_step, open_case, reopen_step, restart_clock, skip_to

SCREEN = "online_intake"
FRESH = timedelta(days=1)


def is_intake(procedure: Procedure) -> bool:
    """The procedure runs as the self-service wizard."""
    return any(s.screen and s.screen["name"] == SCREEN for s in procedure.steps)


def _active(case: Case) -> tuple[CaseStep, Step] | None:
    row = next((r for r in case.current_steps() if r.state == StepState.ACTIVE), None)
    if row is None:
        return None
    return row, procedure_of(case.version).step(row.key)


def current_stage(case: Case) -> tuple[CaseStep, Step] | None:
    """The wizard's stage waiting for the person (None once the stages are done)."""
    active = _active(case)
    if case.state != CaseState.OPEN or active is None:
        return None
    row, step = active
    return (row, step) if step.screen and step.screen["name"] == SCREEN else None


def stages(case: Case) -> list[tuple[CaseStep, Step]]:
    """Every wizard stage of the case with its row (for the progress line and the times)."""
    procedure = procedure_of(case.version)
    return [(row, procedure.step(row.key)) for row in case.current_steps()
            if (step := procedure.step(row.key)).screen and step.screen["name"] == SCREEN]


def _fresh(person: User, now: datetime) -> bool:
    """The account was made for this request (registered within the last day)."""
    return now - person.created_at <= FRESH


def _account_stages(case: Case, person: User, now: datetime) -> None:
    """The stages the account already went through: registering (done when the account was
    created) and the e-mail with the link (done when the address was confirmed). An account
    registered long before this request did not go through them for it: they are skipped."""
    if not _fresh(person, now):
        procedure = procedure_of(case.version)
        first_form = next(s for s in procedure.steps if s.screen and s.screen["name"] == SCREEN
                          and s.screen.get("part") != "account")
        skip_to(case, first_form.key, now)
        return
    first = True
    while (stage := current_stage(case)) and stage[1].screen.get("part") == "account":
        row, _step = stage
        done = person.created_at if first else (person.email_confirmed_at or person.created_at)
        complete_step(case, row.key, person, {}, now=max(done, row.active_at))
        first = False
    restart_clock(case, now)


def running_intake(procedure: Procedure, person: User) -> Case | None:
    """The person's request of this service still running (the newest), to continue."""
    return db.session.scalar(db.select(Case).where(Case.code == procedure.code, Case.subject_id == person.id,
                                                   Case.state == CaseState.OPEN).order_by(Case.id.desc()).limit(1))


def start_intake(procedure: Procedure, person: User, now: datetime | None = None) -> Case:
    """Open the service for `person` (their own request): for an account registered for it, the
    case begins when they registered and the account stages are recorded; the first form stage
    starts now. A case of this service
    still running is continued instead of opening another."""
    now = now or utcnow()
    if not is_intake(procedure):
        raise DomainError(_("Layanan ini tidak berjalan sebagai e-konseling."))
    running = running_intake(procedure, person)
    if running is not None:
        return running
    unit = unit_for_request(person, procedure)
    if unit is None:
        raise DomainError(_("Layanan ini tidak dibuka untuk Anda: tidak ada unit Anda yang menawarkannya."))
    case = open_case(procedure, person, {}, now=min(person.created_at, now) if _fresh(person, now) else now,
                     unit=unit)
    _account_stages(case, person, now)
    return case


def resume(case: Case, person: User, now: datetime | None = None) -> None:
    """A case opened elsewhere (the generic request page) records its account stages when its
    person first reaches the wizard."""
    stage = current_stage(case)
    if stage and case.subject_id == person.id and stage[1].screen.get("part") == "account":
        _account_stages(case, person, now or utcnow())


def submit_stage(case: Case, person: User, values: dict, now: datetime | None = None) -> CaseStep:
    """Complete the current stage with what the person typed; the next one starts at once."""
    now = now or utcnow()
    stage = current_stage(case)
    if stage is None or case.subject_id != person.id:
        raise DomainError(_("Tahap ini sudah selesai; lanjutkan dari halaman permohonan Anda."))
    row, step = stage
    values = dict(values)
    phone_key = step.screen.get("phone")
    if phone_key:
        try:
            values[phone_key] = normalise_whatsapp(values.get(phone_key))
        except DomainError as exc:  # said next to the stage's own phone field, not atop the form
            raise DomainError(exc.message, field=phone_key) from None
        if values[phone_key] is None:
            raise DomainError(_("Nomor WhatsApp wajib diisi: konfirmasi dikirim ke sana."), field=phone_key)
        person.phone = values[phone_key]  # the acknowledgement and later messages go there
    for f in step.inputs:
        value = values.get(f.key)
        if isinstance(value, str) and len(value) > f.max:
            raise DomainError(_("%(field)s paling panjang %(n)d karakter.", field=f.label, n=f.max), field=f.key)
    row = complete_step(case, row.key, person, values, now=now)
    remember_profile(person, values)
    return row


def previous_stage(case: Case) -> CaseStep | None:
    """The form stage done just before the current one, to go back to (None on the first form
    stage, or once the stages are done and the request is sent)."""
    stage = current_stage(case)
    if stage is None:
        return None
    done = [row for row, step in stages(case) if row.position < stage[0].position and row.state == StepState.DONE
            and step.screen.get("part") != "account"]
    return done[-1] if done else None


def go_back(case: Case, person: User, now: datetime | None = None) -> CaseStep:
    """Back to the previous form stage: it runs again (a new pass; what it recorded is kept as
    history and offered again), the current one waits."""
    row = previous_stage(case) if case.subject_id == person.id else None
    if row is None:
        raise DomainError(_("Tidak ada tahap sebelumnya yang dapat diubah."))
    return reopen_step(case, row.key, now or utcnow())


def sent_notice(case: Case) -> str | None:
    """What the person is told once the last stage is sent: the automatic answer on its way
    within the minutes of the step now running (the acknowledgement)."""
    active = _active(case)
    if case.state != CaseState.OPEN or active is None:
        return None
    step = active[1]
    if step.duration and step.duration.unit in ("minutes", "hours"):
        return _("Permohonan terkirim; tanggapan otomatis akan dikirim dalam %(n)d menit ke e-mail dan "
                 "WhatsApp Anda.", n=int(step.duration.minutes))
    return _("Permohonan terkirim; tanggapan otomatis akan dikirim ke e-mail dan WhatsApp Anda.")
