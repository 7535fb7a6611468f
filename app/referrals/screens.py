"""The step screens this domain carries out (declared in the YAML, `screen: {name: …}`): the log
book line of a service or an agreement, the surat rujukan to a party of the directory, and the
student's status checked against the student database (the roster). Each completes its step
through the SOP engine, so deadlines, letters and the compliance report stay the engine's."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import letters, plain_text_error
from app.sop.access import can_act
from app.sop.definitions import Step
from app.sop.models import Case, CaseStep, StepState
from app.sop.services import complete_step
from app.referrals.advisees import roster_by_nim
from app.referrals.logbook import LineValues, write_line
from app.referrals.models import ExternalParty
from app.referrals.services import save_party

ACTIVE_STATUS = "aktif"
MIN_OVERRIDE = 10


def screen_row(case: Case, name: str) -> tuple[Step, CaseStep] | None:
    """The case's active step carried out on screen `name`, if any."""
    procedure = case.procedure
    for row in case.current_steps():
        step = procedure.step(row.key)
        if row.state == StepState.ACTIVE and step.screen and step.screen["name"] == name:
            return step, row
    return None


def screen_step(case: Case, name: str) -> tuple[Step, CaseStep | None] | None:
    """The step of this screen to show: the active one, else the latest done (read-only)."""
    active = screen_row(case, name)
    if active:
        return active
    procedure = case.procedure
    done = [(procedure.step(r.key), r) for r in case.current_steps()
            if procedure.step(r.key).screen and procedure.step(r.key).screen["name"] == name]
    return done[-1] if done else None


def _actionable(case: Case, user: User, name: str) -> tuple[Step, CaseStep]:
    found = screen_row(case, name)
    if found is None:
        raise DomainError(_("Langkah ini belum atau tidak lagi dapat dikerjakan."))
    step, row = found
    if not can_act(user, case, row):
        raise DomainError(_("Langkah ini dikerjakan oleh pelaksana lain; Anda tidak dapat menyelesaikannya."))
    return step, row


def step_inputs(step: Step) -> tuple:
    """The step's own inputs the screen asks for (those it fills itself are left out)."""
    filled = {value for key, value in step.screen.items() if key != "name" and key not in ("entry",)}
    return tuple(f for f in step.inputs if f.key not in filled)


# -- the log book ---------------------------------------------------------------------------
def is_agreement(step: Step) -> bool:
    return step.screen.get("entry") == "agreement"


def record_service(case: Case, user: User, line: LineValues, values: dict, now: datetime | None = None):
    """Write the step's log book line and complete the step with its other inputs."""
    now = now or utcnow()
    step, row = _actionable(case, user, "logbook")
    agreement = is_agreement(step)
    entry = write_line(case, row, user, line, agreement, now)
    if step.screen.get("time"):
        values = {**values, step.screen["time"]: line.served_at}
    complete_step(case, step.key, user, values, now)
    return entry


# -- the surat rujukan ------------------------------------------------------------------------
def refer_externally(case: Case, user: User, party_id: int | None, new: dict, now: datetime | None = None):
    """Address the step's surat rujukan to a party of the directory (or a new one, then kept),
    complete the step (the documents domain numbers and issues the letter) and, when the party
    has an e-mail address, send the letter there too through the outbox."""
    now = now or utcnow()
    step, _row = _actionable(case, user, "external_referral")
    if party_id:
        party = db.session.get(ExternalParty, party_id)
        if party is None:
            raise DomainError(_("Pihak eksternal tidak ditemukan."), "party_id")
    else:
        party = save_party(user, new.get("name"), new.get("institution"), new.get("address"), new.get("email"))
    screen = step.screen
    values = {screen["party"]: party.name, screen["institution"]: party.institution, screen["address"]: party.address}
    complete_step(case, step.key, user, values, now)
    if party.email and step.document:
        _send_to_party(case, step, party, now)
    return party


def _send_to_party(case: Case, step: Step, party: ExternalParty, now: datetime) -> None:
    from app.documents.services import current_letter
    from app.notifications.models import Channel
    from app.notifications.services import attachment, enqueue

    letter = current_letter(case.id, step.key, step.document)
    if letter is None:
        return
    filename = f"{letter.doc_type}-{letter.number.replace('/', '-')}.pdf"
    body = _("Yth. %(name)s,\n\nTerlampir %(title)s nomor %(number)s. Mohon hasil layanan dapat disampaikan kembali "
             "kepada kami.\n\nHormat kami,\n%(unit)s", name=party.name, title=letter.title, number=letter.number,
             unit=case.unit.name if case.unit else "")
    enqueue(Channel.EMAIL, party.email, body, key=f"letter:{letter.id}:party:{party.id}",
            subject=f"{letter.title} {letter.number}", attachments=[attachment(filename, "application/pdf", letter.pdf)],
            now=now)


# -- the student's status ---------------------------------------------------------------------
def describe(student) -> str:
    return _("%(status)s, semester %(semester)d, %(prodi)s", status=student.status, semester=student.semester,
             prodi=student.program.name)


def check_status(case: Case, user: User, nim: str, override: bool, reason: str | None,
                 now: datetime | None = None):
    """Check the NIM against the roster: an active student completes the step; an unknown NIM or
    a status other than active is refused unless staff go on with a written reason, which the
    step keeps with who did it and when."""
    now = now or utcnow()
    step, _row = _actionable(case, user, "student_status")
    nim = (nim or "").strip().lstrip("'").replace(" ", "")
    student = roster_by_nim(nim)
    reason = " ".join((reason or "").split())
    if student is None:
        found = _("tidak ditemukan di data mahasiswa")
        problem = _("NIM %(nim)s tidak ditemukan di data mahasiswa. Periksa kembali NIM-nya, atau lanjutkan dengan "
                    "alasan yang tercatat.", nim=nim[:20] or "—")
    else:
        found = describe(student)
        problem = (None if student.status == ACTIVE_STATUS else
                   _("Status %(name)s di data mahasiswa: %(status)s. Lanjutkan hanya dengan alasan yang tercatat.",
                     name=student.name, status=student.status))
    if problem and not override:
        raise DomainError(problem, "nim")
    if problem and (letters(reason) < MIN_OVERRIDE or len(reason) > 400 or plain_text_error(reason)):
        raise DomainError(_("Tuliskan alasan melanjutkan (10 sampai 400 karakter, tanpa tanda < >)."), "override_reason")
    screen = step.screen
    values = {screen["nim"]: nim[:20] or "—", screen["status"]: found[:200],
              screen["override"]: reason[:400] if problem else ""}
    complete_step(case, step.key, user, values, now)
    return student
