"""Referrals (instruksi kerja, bagian a): an advisor refers one of their own advisees with the
report written by the monitoring guideline; staff inform the student of it and of the service;
the advisor follows its status (administrative facts only, never the counseling content). The
external parties a surat rujukan goes to are a directory kept for reuse."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import letters, plain_text_error, strip
from app.notifications.services import notify
from app.sop.access import holds_role
from app.sop.definitions import Procedure
from app.sop.models import Case, CaseState, StepState
from app.sop.registry import procedures
from app.sop.services import open_case
from app.urls import external_url
from app.referrals.advisees import ensure_account
from app.referrals.models import ExternalParty, Referral
from app.workshops.models import RosterStudent
from app.workshops.roster import ADVISOR_ROLE

MAX_REASON = 4000
MIN_REASON = 10
# The roles that serve a referral in the unit (inform the student, keep the log book).
UNIT_STAFF = ("staff", "counselor", "head")


def referral_procedure() -> Procedure:
    """The procedure advisors refer to: the one whose `referral.roles` names the advisor."""
    found = [p for p in procedures().values() if ADVISOR_ROLE in p.referral_roles]
    if not found:
        raise DomainError(_("Belum ada layanan yang menerima rujukan dosen pembimbing akademik."))
    return found[0]


def refer_student(advisor: User, roster_id: int | None, reason: str, now: datetime | None = None) -> Referral:
    """Open the referral case of one of the advisor's own advisees, with the advisor's report
    (confidential; the advisor may read it back). Another advisor's student is refused."""
    now = now or utcnow()
    if not advisor.has_role(ADVISOR_ROLE):
        raise DomainError(_("Hanya dosen pembimbing akademik yang dapat merujuk mahasiswa."))
    student = db.session.get(RosterStudent, roster_id) if roster_id else None
    if student is None or student.advisor_id != advisor.id:
        raise DomainError(_("Mahasiswa ini bukan mahasiswa bimbingan Anda."), "student")
    reason = strip(reason or "")
    if letters(reason) < MIN_REASON:
        raise DomainError(_("Tuliskan laporan kebutuhan layanan (minimal %(n)d karakter).", n=MIN_REASON), "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("Laporan paling panjang %(n)d karakter.", n=MAX_REASON), "reason")
    if plain_text_error(reason.replace("\n", " ").replace("\r", " ")):
        raise DomainError(_("Laporan tidak boleh memuat tanda < > atau karakter kendali."), "reason")
    account = ensure_account(student, advisor, now)
    procedure = referral_procedure()
    running = db.session.scalar(db.select(Referral.id).join(Case).where(
        Referral.student_id == account.id, Case.code == procedure.code, Case.state == CaseState.OPEN).limit(1))
    if running:
        raise DomainError(_("%(name)s sudah memiliki rujukan yang sedang berjalan.", name=student.name), "student")
    case = open_case(procedure, advisor, {"reason": reason}, subject=account, referral=True, now=now)
    referral = Referral(case_id=case.id, advisor_id=advisor.id, student_id=account.id, referred_at=now)
    referral.case, referral.student = case, account
    db.session.add(referral)
    db.session.flush()
    return referral


def referral_of_case(case_id: int) -> Referral | None:
    return db.session.scalar(db.select(Referral).where(Referral.case_id == case_id))


def may_inform(user: User, referral: Referral) -> bool:
    """Staff of the case's unit, while the case is open and the student not yet informed."""
    return (referral.informed_at is None and referral.case.state == CaseState.OPEN
            and holds_role(user, referral.case, *UNIT_STAFF))


def inform_student(referral: Referral, actor: User, service: str, now: datetime | None = None) -> Referral:
    """Tell the student (e-mail and WhatsApp through the outbox) that their advisor referred them
    and which service they will receive, with the link to agree the time. Never the report."""
    now = now or utcnow()
    if not may_inform(actor, referral):
        raise DomainError(_("Pemberitahuan rujukan sudah dikirim atau Anda tidak dapat mengirimnya."))
    service = " ".join((service or "").split())
    if not service or len(service) > 200 or plain_text_error(service):
        raise DomainError(_("Tuliskan layanan yang akan diberikan (paling panjang 200 karakter, tanpa tanda < >)."),
                          "service")
    case, student = referral.case, referral.student
    advisor = db.session.get(User, referral.advisor_id)
    body = _("Halo %(name)s,\n\nDosen pembimbing akademik Anda, %(advisor)s, merujuk Anda ke %(unit)s untuk "
             "mendapatkan layanan: %(service)s.\n\nSilakan pilih waktu layanan yang sesuai melalui tautan berikut:\n"
             "%(link)s\n\nIsi laporan rujukan dan layanan konseling bersifat rahasia.",
             name=student.name, advisor=advisor.name if advisor else "—",
             unit=case.unit.name if case.unit else _("Bagian Konseling & Asesmen"), service=service,
             link=external_url("sop.show_case", case_id=case.id))
    notify(student, _("Rujukan layanan konseling"), body, key=f"referral-inform:{referral.id}", now=now)
    referral.informed_at, referral.informed_by_id = now, actor.id
    db.session.flush()
    return referral


# -- following a referral -------------------------------------------------------------------
@dataclass
class ReferralStatus:
    referral: Referral
    stage: str  # the active step's title, or the case's state in words
    done: int
    total: int


def status_of(referral: Referral) -> ReferralStatus:
    """What the advisor may know: which step the service is at, how far, closed or not."""
    case = referral.case
    rows = case.current_steps()
    done = sum(1 for r in rows if r.state in (StepState.DONE, StepState.SKIPPED))
    active = next((r for r in rows if r.state == StepState.ACTIVE), None)
    if case.state == CaseState.CLOSED:
        stage = _("Selesai")
    elif case.state == CaseState.CANCELLED:
        stage = _("Dibatalkan")
    else:
        stage = active.title if active else "—"
    return ReferralStatus(referral, stage, done, len(rows))


def referrals_of(advisor: User, limit: int = 200) -> list[ReferralStatus]:
    """The advisor's referrals, newest first, with their status (steps loaded together)."""
    rows = db.session.scalars(db.select(Referral).where(Referral.advisor_id == advisor.id)
                              .options(selectinload(Referral.case).selectinload(Case.steps))
                              .order_by(Referral.referred_at.desc(), Referral.id.desc()).limit(limit)).all()
    return [status_of(r) for r in rows]


def load_own_referral(advisor: User, referral_id: int) -> Referral | None:
    """The advisor's own referral, or None (another advisor's is as if it did not exist)."""
    referral = db.session.get(Referral, referral_id)
    return referral if referral is not None and referral.advisor_id == advisor.id else None


# -- the external parties' directory ----------------------------------------------------------
def external_parties() -> list[ExternalParty]:
    return list(db.session.scalars(db.select(ExternalParty).order_by(ExternalParty.name, ExternalParty.id)))


def _clean(text: str | None, limit: int, label: str, field: str, required: bool = True) -> str | None:
    value = " ".join((text or "").split())
    if not value:
        if required:
            raise DomainError(_("%(label)s wajib diisi.", label=label), field)
        return None
    if len(value) > limit or plain_text_error(value):
        raise DomainError(_("%(label)s paling panjang %(n)d karakter, tanpa tanda < > atau karakter kendali.",
                            label=label, n=limit), field)
    return value


def save_party(actor: User, name: str, institution: str, address: str, email: str | None = None) -> ExternalParty:
    """A new external party in the directory, or the one already kept under that name and institution
    (its address and e-mail updated)."""
    import email_validator

    name = _clean(name, 200, _("Nama pihak eksternal"), "name")
    institution = _clean(institution, 200, _("Lembaga"), "institution")
    address = _clean(address, 400, _("Alamat"), "address")
    email = _clean(email, 254, _("E-mail"), "email", required=False)
    if email:
        try:
            email = email_validator.validate_email(email, check_deliverability=False).normalized
        except email_validator.EmailNotValidError:
            raise DomainError(_("Alamat e-mail tidak valid."), "email") from None
    party = db.session.scalar(db.select(ExternalParty).where(ExternalParty.name == name,
                                                             ExternalParty.institution == institution))
    if party is None:
        party = ExternalParty(name=name, institution=institution, created_by_id=actor.id)
        db.session.add(party)
    party.address, party.email = address, email or party.email
    db.session.flush()
    return party
