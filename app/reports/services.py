"""SOP compliance: per procedure and step, how many were done in a period, how many within the
standard time, the median and 90th-percentile duration (working minutes, as the deadline was
computed) and what is late now. Three queries whatever the number of cases: the figures of done
steps come from the rollups kept as steps are done (app/reports/rollups.py), what is late now
from the active steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.numbers import parse_pattern
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from app.auth.models import User
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.org.models import UnitProcedure
from app.org.services import cached_unit_ids
from app.reports.rollups import tallies
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.sop.registry import procedures
from app.xlsx import append_row


@dataclass
class StepFigures:
    code: str
    position: int
    key: str
    title: str
    done: int = 0
    timed: int = 0  # done steps that had a standard time
    on_time: int = 0
    median: int | None = None
    p90: int | None = None
    standard: int | None = None
    late_now: int = 0

    @property
    def on_time_pct(self) -> float | None:
        return round(100 * self.on_time / self.timed, 1) if self.timed else None


LATE_LISTED = 50  # the page lists the steps late longest; the spreadsheet, up to LATE_EXPORTED
LATE_EXPORTED = 5000


@dataclass
class Report:
    start: date
    end: date
    rows: dict[str, list[StepFigures]] = field(default_factory=dict)
    late: list = field(default_factory=list)  # the steps late longest first, up to the limit asked
    late_total: int = 0


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """Default: the current month so far. Refuses an end before the start."""
    today = utcnow().astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"])).date()
    start = start or today.replace(day=1)
    end = end or today
    if end < start:
        raise DomainError(_("Tanggal akhir (%(end)s) sebelum tanggal awal (%(start)s).", end=end, start=start))
    return start, end


def _every_unit(viewer: User | None) -> bool:
    return viewer is None or viewer.has_role("admin")


def reported(viewer: User | None) -> dict:
    """The procedures whose figures `viewer` reads: every one for the quality office (admin) or
    without a viewer (the command line), else those their units offer or once offered."""
    if _every_unit(viewer):
        return procedures()
    offered = set(db.session.scalars(sa.select(UnitProcedure.code)
                                     .where(UnitProcedure.unit_id.in_(cached_unit_ids(viewer)))))
    return {code: p for code, p in procedures().items() if code in offered}


def compliance(start: date, end: date, code: str = "", unit: str = "", now: datetime | None = None,
               viewer: User | None = None, late_limit: int = LATE_LISTED) -> Report:
    """The figures of each procedure's steps in the period, and what is late now. A `viewer` who
    is not an admin (the quality office) sees the procedures their units offer (or once offered)
    and the late cases of those units only; the figures of a procedure that other units offer too
    count their cases as well (they are kept per procedure and step, never naming anyone)."""
    now = now or utcnow()
    codes = [c for c, p in reported(viewer).items()
             if (not code or c == code) and (not unit or p.institution == unit)]
    in_units = sa.true() if _every_unit(viewer) else sa.or_(Case.unit_id.is_(None),
                                                             Case.unit_id.in_(cached_unit_ids(viewer)))
    report = Report(start, end)
    if not codes:
        return report

    by_key = tallies(start, end, codes)
    late_counts = db.session.execute(
        sa.select(Case.code, CaseStep.key, sa.func.count()).join(Case)
        .where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN, CaseStep.due_at < now,
               Case.code.in_(codes), in_units).group_by(Case.code, CaseStep.key)).all()
    report.late = db.session.execute(
        sa.select(CaseStep.case_id, Case.code, CaseStep.position, CaseStep.title, CaseStep.due_at).join(Case)
        .where(CaseStep.state == StepState.ACTIVE, Case.state == CaseState.OPEN, CaseStep.due_at < now,
               Case.code.in_(codes), in_units).order_by(CaseStep.due_at, CaseStep.id).limit(late_limit)).all()

    late_by_key = {(c, k): n for c, k, n in late_counts}
    report.late_total = sum(late_by_key.values())
    for c in codes:
        rows = []
        for step in procedures()[c].steps:
            r = by_key.get((c, step.key))
            figures_row = StepFigures(c, step.number, step.key, step.title, late_now=late_by_key.get((c, step.key), 0))
            if r is not None:
                figures_row.done, figures_row.timed, figures_row.on_time = r.done, r.timed, r.on_time
                figures_row.median, figures_row.p90, figures_row.standard = r.median, r.p90, r.standard
            rows.append(figures_row)
        report.rows[c] = rows
    return report


HOURS = parse_pattern("#,##0.##")  # read once: the report shows three figures on each of its rows


def working_hours(minutes: int | None) -> str:
    """Working minutes as the page shows them, in working hours: 45 -> '0,75', 90 -> '1,5'; '—' for none."""
    if minutes is None:
        return "—"
    return HOURS.apply(minutes / 60, get_locale())


HEADERS = ["Kode SOP", "No", "Langkah", "Selesai", "Dengan baku mutu", "Tepat waktu", "% tepat waktu",
           "Median (menit kerja)", "P90 (menit kerja)", "Baku mutu (menit kerja)", "Terlambat kini"]


def table(report: Report) -> list[list]:
    return [[r.code, r.position, r.title, r.done, r.timed, r.on_time, r.on_time_pct, r.median, r.p90, r.standard,
             r.late_now] for rows in report.rows.values() for r in rows]


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Kepatuhan SOP"
    sheet.append([f"Kepatuhan SOP {report.start.isoformat()} s.d. {report.end.isoformat()}"])
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table(report):
        append_row(sheet, row)
    late = workbook.create_sheet("Terlambat kini")
    late.append(["Kasus", "Kode SOP", "No", "Langkah", "Batas waktu (UTC)"])
    for r in report.late:
        append_row(late, [r.case_id, r.code, r.position, r.title, r.due_at.replace(tzinfo=None)])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
