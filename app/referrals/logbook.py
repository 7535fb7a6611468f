"""The log book of counseling services: one line per service (date, student, kind of service,
counselor, duration, outcome), the agreed time of a service given later as a line that the
service completes; searchable, exported to XLSX; a correction keeps the earlier value with who
changed it, when and why. Only the counseling staff of the line's unit see it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _
from sqlalchemy import func, or_

from app.auth.models import User, UserRole
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import plain_text_error
from app.org.services import belongs_to, cached_unit_ids, unit_ids_of
from app.referrals.models import LogbookEntry, LogbookRevision, LogStatus
from app.sop.models import Case, CaseStep

UNIT_STAFF = ("staff", "counselor", "head")
COUNSELOR_ROLE = "counselor"
MAX_MINUTES = 8 * 60
EXPORT_LIMIT = 20_000


def may_keep(user: User) -> bool:
    """Counseling staff: the roles that keep a unit's log book."""
    return user.is_authenticated and user.has_role(*UNIT_STAFF)


def _units_filter(user: User):
    return or_(LogbookEntry.unit_id.is_(None), LogbookEntry.unit_id.in_(cached_unit_ids(user)))


def load_entry(user: User, entry_id: int) -> LogbookEntry | None:
    """A line of one of the user's units, or None (a line of another unit does not exist for them)."""
    entry = db.session.get(LogbookEntry, entry_id)
    if entry is None or not may_keep(user):
        return None
    if entry.unit_id is not None and entry.unit_id not in cached_unit_ids(user):
        return None
    return entry


def counselors(unit_id: int | None) -> list[User]:
    """Who may be named as having given a service of the unit: its active counselors."""
    return list(db.session.scalars(db.select(User).join(UserRole).where(
        UserRole.role == COUNSELOR_ROLE, User.active.is_(True), belongs_to(unit_id, User.id)).order_by(User.name)))


@dataclass
class LineValues:
    served_at: datetime
    service_kind: str
    counselor_id: int | None
    duration_minutes: int | None
    outcome: str | None


def _check(values: LineValues, agreement: bool, unit_id: int | None) -> LineValues:
    kind = " ".join((values.service_kind or "").split())
    if not kind or len(kind) > 200 or plain_text_error(kind):
        raise DomainError(_("Tuliskan jenis layanan (paling panjang 200 karakter, tanpa tanda < >)."), "service_kind")
    counselor = db.session.get(User, values.counselor_id) if values.counselor_id else None
    if (counselor is None or not counselor.active or not counselor.has_role(COUNSELOR_ROLE)
            or unit_id is not None and unit_id not in unit_ids_of(counselor)):
        raise DomainError(_("Pilih staf konseling yang aktif."), "counselor_id")
    minutes = values.duration_minutes
    if not agreement and (minutes is None or not 1 <= minutes <= MAX_MINUTES):
        raise DomainError(_("Durasi layanan 1 sampai %(n)d menit.", n=MAX_MINUTES), "duration_minutes")
    outcome = " ".join((values.outcome or "").split()) or None
    if not agreement and not outcome:
        raise DomainError(_("Tuliskan hasil layanan secara singkat (tanpa isi konseling)."), "outcome")
    if outcome and (len(outcome) > 500 or plain_text_error(outcome)):
        raise DomainError(_("Hasil layanan paling panjang 500 karakter, tanpa tanda < >."), "outcome")
    if values.served_at is None:
        raise DomainError(_("Tanggal dan jam layanan wajib diisi."), "served_at")
    return LineValues(values.served_at, kind, counselor.id, None if agreement else minutes, outcome)


def write_line(case: Case, row: CaseStep | None, actor: User, values: LineValues, agreement: bool,
               now: datetime | None = None) -> LogbookEntry:
    """The log book line of a case's service: an agreement is a line "dijadwalkan" at the agreed
    time; the service completes the case's agreed line (one line per service) or adds one."""
    now = now or utcnow()
    values = _check(values, agreement, case.unit_id)
    entry = None
    if not agreement:
        entry = db.session.scalar(db.select(LogbookEntry).where(
            LogbookEntry.case_id == case.id, LogbookEntry.status == LogStatus.AGREED)
            .order_by(LogbookEntry.id.desc()).limit(1))
    if entry is None:
        student = case.subject
        entry = LogbookEntry(unit_id=case.unit_id, case_id=case.id, created_by_id=actor.id, created_at=now,
                             student_id=student.id if student else None,
                             student_name=(student.name if student else case.title)[:200],
                             nim=student.nim if student else None)
        db.session.add(entry)
    entry.served_at, entry.service_kind, entry.counselor_id = values.served_at, values.service_kind, values.counselor_id
    entry.duration_minutes, entry.outcome = values.duration_minutes, values.outcome
    entry.status = LogStatus.AGREED if agreement else LogStatus.GIVEN
    db.session.flush()
    return entry


def agreed_line(case: Case) -> LogbookEntry | None:
    """The case's line waiting for its service (prefills the service's form)."""
    return db.session.scalar(db.select(LogbookEntry).where(
        LogbookEntry.case_id == case.id, LogbookEntry.status == LogStatus.AGREED).order_by(LogbookEntry.id.desc()).limit(1))


# -- corrections ----------------------------------------------------------------------------
def _shown(entry: LogbookEntry, field: str) -> str | None:
    value = getattr(entry, field)
    if isinstance(value, datetime):
        return value.isoformat()
    if field == "counselor_id":
        return entry.counselor.name if entry.counselor else None
    return None if value is None else str(value)


def correct_line(entry: LogbookEntry, actor: User, values: LineValues, reason: str,
                 now: datetime | None = None) -> list[LogbookRevision]:
    """Change a line; each changed value keeps its earlier value, who changed it, when and why."""
    now = now or utcnow()
    if not may_keep(actor):
        raise DomainError(_("Hanya staf konseling yang dapat membetulkan log book."))
    reason = " ".join((reason or "").split())
    if len(reason) < 5 or len(reason) > 400 or plain_text_error(reason):
        raise DomainError(_("Tuliskan alasan pembetulan (5 sampai 400 karakter, tanpa tanda < >)."), "reason")
    values = _check(values, entry.status == LogStatus.AGREED, entry.unit_id)
    changes = []
    for field in ("served_at", "service_kind", "counselor_id", "duration_minutes", "outcome"):
        new = getattr(values, field)
        if getattr(entry, field) == new:
            continue
        before = _shown(entry, field)
        setattr(entry, field, new)
        if field == "counselor_id":
            entry.counselor = db.session.get(User, new)
        changes.append(LogbookRevision(entry_id=entry.id, field=field, old_value=before, new_value=_shown(entry, field),
                                       reason=reason, changed_at=now, changed_by_id=actor.id))
    if not changes:
        raise DomainError(_("Tidak ada yang berubah."))
    db.session.add_all(changes)
    db.session.flush()
    return changes


# -- the register -----------------------------------------------------------------------------
def search_query(user: User, q: str = "", status: str = ""):
    """The lines of the user's units matching `q` (student, NIM, kind, outcome, counselor)."""
    query = db.select(LogbookEntry).where(_units_filter(user))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(LogbookEntry.student_name).like(like), LogbookEntry.nim.like(like),
                                func.lower(LogbookEntry.service_kind).like(like),
                                func.lower(LogbookEntry.outcome).like(like),
                                LogbookEntry.counselor_id.in_(db.select(User.id).where(func.lower(User.name).like(like)))))
    if status in (LogStatus.AGREED, LogStatus.GIVEN):
        query = query.where(LogbookEntry.status == status)
    return query


HEADER = ("Tanggal", "Jam", "NIM", "Mahasiswa", "Jenis layanan", "Staf konseling", "Durasi (menit)", "Hasil",
          "Status", "Kasus")


def logbook_xlsx(user: User, q: str, status: str, tz) -> bytes:
    """The matching lines as a workbook, oldest first; typed text stays text (app/xlsx.py)."""
    from openpyxl import Workbook

    from app.xlsx import append_row

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = "Log book"
    append_row(sheet, HEADER)
    rows = db.session.scalars(search_query(user, q, status).order_by(LogbookEntry.served_at, LogbookEntry.id)
                              .limit(EXPORT_LIMIT))
    for entry in rows:
        local = entry.served_at.astimezone(tz)
        append_row(sheet, (local.strftime("%Y-%m-%d"), local.strftime("%H.%M"), entry.nim or "", entry.student_name,
                           entry.service_kind, entry.counselor.name, entry.duration_minutes, entry.outcome or "",
                           entry.status, entry.case_id))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
