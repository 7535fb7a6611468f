"""The monthly client report ("laporan bulanan klien") of a unit: clients and sessions by
service, problem category, age group, sex, channel and outcome — figures only, no names. What is
counted is what the steps recorded, through the keys their `casefile` screens name."""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from app.auth.models import User
from app.extensions import db
from app.org.models import Unit
from app.org.services import cached_unit_ids
from app.sop.models import Case, CaseState, CaseStep, StepState
from app.casefiles.models import Consent
from app.casefiles.settings import categories

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AGE_GROUPS = [(0, 5, "0–5"), (6, 12, "6–12"), (13, 17, "13–17"), (18, 25, "18–25"), (26, 45, "26–45"),
              (46, 59, "46–59"), (60, 200, "60+")]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]


@dataclass
class Table:
    title: str
    rows: list[tuple[str, int, int]] = field(default_factory=list)  # label, clients, sessions

    @property
    def pairs(self) -> list[tuple[str, int]]:
        """(label, clients) for the chart."""
        return [(label, clients) for label, clients, _sessions in self.rows]


@dataclass
class Figures:
    unit: Unit
    year: int
    month: int
    clients: int = 0
    new_clients: int = 0
    sessions: int = 0
    tables: list[Table] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month - 1]} {self.year}"


def can_see_report(user: User, unit: Unit) -> bool:
    """Admins, and the unit's head and staff (the report holds no names)."""
    return user.is_authenticated and (user.has_role("admin") or (
        user.has_role("head", "staff") and unit.id in cached_unit_ids(user)))


def parse_month(text: str | None, today: date) -> tuple[int, int, bool]:
    """(year, month, understood) from `YYYY-MM`; this month when absent or unreadable."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month, True
    except ValueError:
        pass
    return today.year, today.month, not text


def _bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = ZoneInfo(current_app.config["APP_TIMEZONE"])
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def _keys(case: Case) -> tuple[dict, set[str]]:
    """What the case's procedure records for the report ({kind: input key}) and its session steps."""
    keys, sessions = {}, set()
    for step in case.procedure.steps:
        screen = step.screen or {}
        if screen.get("session"):
            sessions.add(step.key)
        if screen.get("name") == "casefile":
            keys.update({k: v for k, v in screen.items() if k in ("service", "channel", "problem", "sex", "age",
                                                                     "outcome")})
    return keys, sessions


def _age_group(value) -> str:
    try:
        age = int(value)
    except (TypeError, ValueError):
        return _("tidak diketahui")
    return next((label for low, high, label in AGE_GROUPS if low <= age <= high), _("tidak diketahui"))


def monthly_figures(unit: Unit, year: int, month: int) -> Figures:
    """Clients (cases opened in the month or with a session in it) and sessions (passes of
    session steps done in the month), by each category; a constant number of queries."""
    start, end = _bounds(year, month)
    done = db.session.execute(db.select(CaseStep.case_id, CaseStep.key).join(Case).where(
        Case.unit_id == unit.id, CaseStep.state == StepState.DONE, CaseStep.done_at >= start,
        CaseStep.done_at < end)).all()
    active_ids = {case_id for case_id, _key in done}
    cases = db.session.scalars(db.select(Case).where(Case.unit_id == unit.id, db.or_(
        db.and_(Case.opened_at >= start, Case.opened_at < end), Case.id.in_(active_ids or {0})))).all()
    consents = {c.case_id: c for c in db.session.scalars(db.select(Consent).where(
        Consent.case_id.in_([c.id for c in cases] or [0])))}
    figures = Figures(unit=unit, year=year, month=month)
    counted = {kind: (Counter(), Counter()) for kind in ("service", "problem", "age", "sex", "channel", "outcome")}
    sex_options: list[str] = []
    outcome_options: list[str] = []
    for case in cases:
        keys, session_steps = _keys(case)
        if not keys:
            continue
        data = case.data or {}
        sessions = sum(1 for case_id, key in done if case_id == case.id and key in session_steps)
        figures.clients += 1
        figures.sessions += sessions
        figures.new_clients += start <= case.opened_at < end
        for f in case.procedure.field_origins().values():
            if f[0].key == keys.get("sex") and not sex_options:
                sex_options = list(f[0].options)
            if f[0].key == keys.get("outcome") and not outcome_options:
                outcome_options = list(f[0].options)
        consent = consents.get(case.id)
        outcome = data.get(keys.get("outcome", ""))
        if not outcome:
            if consent is not None and consent.withdrawn_at is not None:
                outcome = _("persetujuan ditarik")
            elif consent is not None and not consent.agreed:
                outcome = _("tidak menyetujui layanan")
            else:
                outcome = _("dalam proses") if case.state == CaseState.OPEN else _("ditutup tanpa hasil tercatat")
        values = {"service": data.get(keys.get("service", "")), "problem": data.get(keys.get("problem", "")),
                  "age": _age_group(data.get(keys.get("age", ""))), "sex": data.get(keys.get("sex", "")),
                  "channel": data.get(keys.get("channel", "")), "outcome": outcome}
        for kind, value in values.items():
            label = value or _("belum diisi")
            counted[kind][0][label] += 1
            counted[kind][1][label] += sessions
    titles = {"service": _("Jenis layanan"), "problem": _("Kategori masalah"), "age": _("Kelompok usia"),
              "sex": _("Jenis kelamin"), "channel": _("Saluran"), "outcome": _("Hasil layanan")}
    known = {"service": categories(unit.id, "service"), "problem": categories(unit.id, "problem"),
             "channel": categories(unit.id, "channel"), "age": [label for _l, _h, label in AGE_GROUPS],
             "sex": sex_options, "outcome": outcome_options}
    for kind, title in titles.items():
        clients, sessions = counted[kind]
        order = list(known[kind]) + sorted(k for k in clients if k not in known[kind])
        figures.tables.append(Table(title, [(label, clients[label], sessions[label]) for label in order]))
    return figures


def to_xlsx(figures: Figures) -> bytes:
    """The report as a workbook: the totals, then one block per category."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.xlsx import append_row

    book = Workbook()
    sheet = book.active
    sheet.title = "Laporan bulanan klien"
    append_row(sheet, [f"Laporan bulanan klien {figures.unit.name}", figures.label])
    sheet["A1"].font = Font(bold=True)
    append_row(sheet, ["Jumlah klien", figures.clients])
    append_row(sheet, ["Klien baru", figures.new_clients])
    append_row(sheet, ["Jumlah sesi", figures.sessions])
    for table in figures.tables:
        append_row(sheet, [])
        append_row(sheet, [table.title, "Klien", "Sesi"])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        for row in table.rows:
            append_row(sheet, list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
