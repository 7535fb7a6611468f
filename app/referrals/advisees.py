"""The advisor and student relation (dosen pembimbing akademik): imported with the student roster
(app/workshops/roster.py, column "Dosen PA") or set by staff here; and the student's account,
found by NIM or e-mail, or registered for them (they get a link to choose a password)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func

from app.auth.accounts import register_walk_in
from app.auth.models import User, UserRole, find_user_by_email
from app.errors import DomainError
from app.extensions import db
from app.org.services import units_offering_to
from app.sop.registry import procedures
from app.workshops.models import RosterStudent
from app.workshops.roster import ADVISOR_ROLE, NIM

STUDENT_ROLE = "student"


def advisees_of(advisor: User) -> list[RosterStudent]:
    """The advisor's own students, by name."""
    return list(db.session.scalars(db.select(RosterStudent).where(RosterStudent.advisor_id == advisor.id)
                                   .order_by(RosterStudent.name, RosterStudent.id)))


def advisors() -> list[User]:
    """Active users holding the advisor role: the choices when staff set a student's advisor."""
    return list(db.session.scalars(db.select(User).join(UserRole).where(
        UserRole.role == ADVISOR_ROLE, User.active.is_(True)).order_by(User.name)))


def keeps_advisors(user: User) -> bool:
    """Staff or head of a unit offering the service advisors refer to: they set a student's dosen
    PA. Anyone else could learn a student's name from a NIM."""
    codes = [p.code for p in procedures().values() if ADVISOR_ROLE in p.referral_roles]
    return bool(user.is_authenticated and user.has_role("staff", "head") and units_offering_to(user, codes))


def roster_by_nim(nim: str) -> RosterStudent | None:
    nim = (nim or "").strip().lstrip("'").replace(" ", "")
    if not NIM.match(nim):
        return None
    return db.session.scalar(db.select(RosterStudent).where(RosterStudent.nim == nim))


def set_advisor(actor: User, nim: str, advisor_id: int | None) -> RosterStudent:
    """Staff set (or clear) a student's dosen PA; the student must be in the roster."""
    if not keeps_advisors(actor):
        raise DomainError(_("Dosen PA diatur oleh staf unit yang menerima rujukan dosen PA."))
    student = roster_by_nim(nim)
    if student is None:
        raise DomainError(_("NIM %(nim)s tidak ditemukan di data mahasiswa. Impor roster terlebih dahulu.",
                            nim=(nim or "").strip()[:20]), "nim")
    advisor = db.session.get(User, advisor_id) if advisor_id else None
    if advisor_id and (advisor is None or not advisor.active or not advisor.has_role(ADVISOR_ROLE)):
        raise DomainError(_("Dosen PA harus pengguna aktif dengan peran Dosen PA."), "advisor_id")
    student.advisor_id = advisor.id if advisor else None
    db.session.flush()
    return student


def account_of(student: RosterStudent) -> User | None:
    """The student's account: the one with the roster's NIM, else the roster's e-mail."""
    user = db.session.scalar(db.select(User).join(UserRole).where(
        UserRole.role == STUDENT_ROLE, func.replace(User.nim, " ", "") == student.nim).order_by(User.id).limit(1))
    if user is None and student.email:
        user = find_user_by_email(student.email)
    return user


def ensure_account(student: RosterStudent, actor: User, now: datetime | None = None) -> User:
    """The student's account, registered from the roster when they have none yet (an e-mailed
    link lets them choose a password). Refused when the roster has no e-mail for them, or the
    e-mail belongs to someone who is not a student."""
    user = account_of(student)
    if user is None:
        if not student.email:
            raise DomainError(_("%(name)s belum memiliki akun dan data mahasiswa tidak memuat e-mailnya; minta staf "
                                "melengkapi roster.", name=student.name))
        user = register_walk_in(actor, student.email, student.name, STUDENT_ROLE, now=now, nim=student.nim,
                                prodi=student.program.name, phone=student.whatsapp)
    if not user.has_role(STUDENT_ROLE) or not user.active:
        raise DomainError(_("Akun %(email)s bukan akun mahasiswa yang aktif.", email=user.email))
    return user
