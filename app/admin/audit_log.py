"""Reading the audit log: filters (who, what, which days), pages, and the XLSX export."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_

from app.auth.audit import ACTIONS, AuditEvent
from app.auth.models import User
from app.errors import DomainError
from app.extensions import db
from app.org.models import UserUnit
from app.xlsx import append_row

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


@dataclass
class AuditFilter:
    q: str = ""  # actor's name or e-mail, or words of the summary
    action: str = ""
    start: date | None = None
    end: date | None = None

    def args(self) -> dict:
        """The filter as query-string values (for the pager and the export link)."""
        return {"q": self.q, "action": self.action, "from": self.start.isoformat() if self.start else "",
                "to": self.end.isoformat() if self.end else ""}


def parse_filter(args) -> AuditFilter:
    """Read the filter from a query string; a date it cannot use is a DomainError."""
    def day(name: str) -> date | None:
        value = args.get(name, "").strip()
        if not value:
            return None
        try:
            parsed = date.fromisoformat(value[:10])
        except ValueError:
            raise DomainError(_("Tanggal '%(value)s' tidak valid (format: tahun-bulan-tanggal).",
                                value=value[:20]), name) from None
        if not FIRST_DAY <= parsed <= LAST_DAY:
            raise DomainError(_("Tanggal harus antara %(a)s dan %(b)s.", a=FIRST_DAY.isoformat(),
                                b=LAST_DAY.isoformat()), name)
        return parsed

    action = args.get("action", "")
    return AuditFilter(q=args.get("q", "").strip()[:100], action=action if action in ACTIONS else "",
                       start=day("from"), end=day("to"))


def _instant(day: date) -> datetime:
    """Local midnight at the start of `day`, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"]))


def audit_query(flt: AuditFilter, viewer: User):
    """Events matching the filter, newest first. An admin (the quality office) reads them all; a
    head, those done by the system (the operators' commands) or by people of their own units (the
    accounts a PUSPAGA desk registers are not the business of another institution's head)."""
    query = db.select(AuditEvent).outerjoin(User, AuditEvent.actor_id == User.id) \
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if not viewer.has_role("admin"):
        query = query.where(or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id.in_(
            db.select(UserUnit.user_id).where(UserUnit.unit_id.in_(
                db.select(UserUnit.unit_id).where(UserUnit.user_id == viewer.id))))))
    if flt.q:
        like = f"%{flt.q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like),
                                func.lower(AuditEvent.summary).like(like)))
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.start:
        query = query.where(AuditEvent.at >= _instant(flt.start))
    if flt.end:
        query = query.where(AuditEvent.at < _instant(flt.end) + timedelta(days=1))
    return query


def search_audit(flt: AuditFilter, page: int, viewer: User):
    return db.paginate(audit_query(flt, viewer), page=page, per_page=PAGE_SIZE, error_out=False)


def audit_xlsx(flt: AuditFilter, viewer: User) -> bytes:
    """The filtered events as a spreadsheet (times in the institution's zone)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Log audit"
    sheet.append(["Waktu", "Pelaku", "E-mail pelaku", "Tindakan", "Kode", "Sasaran", "Ringkasan",
                  "Rincian", "Alamat"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for event in db.session.scalars(audit_query(flt, viewer).limit(EXPORT_LIMIT)):  # names stay text (app/xlsx.py)
        append_row(sheet, [
            event.at.astimezone(zone).replace(tzinfo=None),
            event.actor.name if event.actor else "sistem", event.actor.email if event.actor else "",
            event.action_label, event.action,
            f"{event.target_type}:{event.target_id}" if event.target_type else "",
            event.summary, str(event.details or ""), event.remote_addr or "",
        ])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
