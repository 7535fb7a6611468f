"""Self-initiated counseling at the desk (instruksi kerja, bagian b): the student tells staff what
they need; staff find them in the student database by NIM and open their request. The student
may also ask by themselves from the Layanan page (the SOP engine's request form)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.sop.definitions import Procedure
from app.sop.models import Case, StepState
from app.sop.offerings import unit_for_request
from app.sop.registry import procedures
from app.sop.services import complete_step, open_case
from app.referrals.advisees import ensure_account, roster_by_nim

STATUS_SCREEN = "student_status"


def desk_procedure() -> Procedure:
    """The procedure a student's own request opens: the one that checks the student's status."""
    found = [p for p in procedures().values() if p.screen_step(STATUS_SCREEN)]
    if not found:
        raise DomainError(_("Belum ada layanan konseling atas inisiatif mahasiswa."))
    return found[0]


def open_at_desk(actor: User, nim: str, need: str, now: datetime | None = None) -> Case:
    """Open the request for the student with this NIM, their need in the request's text field; the
    first step (the student tells staff) is done by the staff member who heard them."""
    now = now or utcnow()
    procedure = desk_procedure()
    unit = unit_for_request(actor, procedure)  # one of the actor's own units offering it; asked
    if unit is None:  # first, so that staff of another unit learn nothing of the roster
        raise DomainError(_("Layanan %(title)s tidak dibuka di unit Anda.", title=procedure.title))
    student = roster_by_nim(nim)
    if student is None:
        raise DomainError(_("NIM %(nim)s tidak ditemukan di data mahasiswa. Periksa kembali NIM-nya; mahasiswa yang "
                            "belum ada di data dapat didaftarkan lewat \u201cDaftarkan klien\u201d dan mengajukan "
                            "sendiri.", nim=(nim or "").strip()[:20]), "nim")
    account = ensure_account(student, actor, now)
    text_field = next((f for f in procedure.fields if f.type == "textarea"), None)
    values = {text_field.key: need} if text_field else {}
    case = open_case(procedure, actor, values, subject=account, now=now, unit=unit)
    first = next((r for r in case.current_steps() if r.state == StepState.ACTIVE), None)
    if first is not None and case.can_act(actor, first) and not procedure.step(first.key).inputs:
        complete_step(case, first.key, actor, {}, now)
    return case
