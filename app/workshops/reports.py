"""The edition's report (laporan), compiled from its data: registrations, attendance by prodi
and semester, evaluation results, theme, speakers, checklist and the follow-up list; the
committee's text, submitted as the `laporan_kegiatan` letter; the same data as XLSX.

`figures()` reads a constant number of queries whatever the size of the edition: counts are
grouped in SQL by (prodi, semester); the evaluations are one query."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _
from sqlalchemy import case as when
from sqlalchemy import func

from app.auth.models import User
from app.database import utcnow
from app.documents.models import Letter
from app.documents.services import current_letter, issue_letter, signer_for
from app.errors import DomainError
from app.extensions import db
from app.filters import datetime_filter
from app.sop.access import can_act
from app.sop.models import StepState
from app.sop.services import complete_step
from app.workshops.editions import advance, screen_is
from app.workshops.evaluations import QUESTIONS, RATINGS, local_date
from app.xlsx import append_row
from app.workshops.models import (ChecklistItem, Evaluation, Registration, RegistrationStatus, Speaker,
                                  StudyProgram, Workshop)

REPORT_DOC = "laporan_kegiatan"  # the report is the luaran of the edition's step producing this letter
MAX_REPORT = 8000  # the step's `report` input allows as much
KEYS = ("confirmed", "waiting", "attended", "evaluated")


@dataclass
class Row:
    """One line of counts: a prodi, a semester, or the whole edition."""

    label: str
    confirmed: int = 0
    waiting: int = 0
    attended: int = 0
    evaluated: int = 0
    code: str = "-"  # the prodi code or semester number on the command line ("-": none)

    def add(self, other: Row) -> None:
        for key in KEYS:
            setattr(self, key, getattr(self, key) + getattr(other, key))


@dataclass
class Question:
    key: str
    label: str
    average: float | None
    distribution: dict[int, int]  # rating -> how many gave it
    answered: int


@dataclass
class Figures:
    workshop: Workshop
    total: Row
    by_prodi: list[Row]
    by_semester: list[Row]
    questions: list[Question]
    evaluations: list[Evaluation]
    speakers: list[Speaker]
    checklist: list[ChecklistItem]
    follow_up: list[Evaluation] = field(default_factory=list)

    @property
    def interests(self) -> list[tuple[str, str]]:
        return [(e.registration.name, e.interests) for e in self.evaluations if e.interests]

    @property
    def comments(self) -> list[str]:
        return [e.comments for e in self.evaluations if e.comments]


def figures(workshop: Workshop) -> Figures:
    """Everything the report shows, computed from the edition's rows."""
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    attended = db.and_(Registration.checked_in_at.is_not(None), Registration.status != RegistrationStatus.CANCELLED)
    grouped = db.session.execute(
        db.select(StudyProgram.code, StudyProgram.name, Registration.semester,
                  func.sum(when((confirmed, 1), else_=0)),
                  func.sum(when((Registration.status == RegistrationStatus.WAITING, 1), else_=0)),
                  func.sum(when((attended, 1), else_=0)),
                  func.sum(when((db.and_(attended, Evaluation.id.is_not(None)), 1), else_=0)))
        .select_from(Registration).outerjoin(StudyProgram, StudyProgram.id == Registration.program_id)
        .outerjoin(Evaluation, Evaluation.registration_id == Registration.id)
        .where(Registration.workshop_id == workshop.id)
        .group_by(StudyProgram.code, StudyProgram.name, Registration.semester)).all()
    total, prodi, semester = Row(_("Jumlah")), {}, {}
    for code, name, sem, *counts in grouped:
        row = Row("", *(int(c or 0) for c in counts))
        prodi_label = f"{code} — {name}" if code else _("(tanpa prodi)")
        semester_label = _("Semester %(n)s", n=sem) if sem is not None else _("(tanpa semester)")
        prodi.setdefault(prodi_label, Row(prodi_label, code=code or "-")).add(row)
        semester_code = str(sem) if sem is not None else "-"
        semester.setdefault((sem is None, sem or 0), Row(semester_label, code=semester_code)).add(row)
        total.add(row)
    evaluations = list(db.session.scalars(
        db.select(Evaluation).join(Registration).where(Registration.workshop_id == workshop.id)
        .order_by(Registration.name, Registration.id)))
    questions = []
    for key, label in QUESTIONS.items():
        given = [e.ratings.get(key) for e in evaluations if isinstance((e.ratings or {}).get(key), int)]
        counts = Counter(given)
        questions.append(Question(key, str(label), round(sum(given) / len(given), 2) if given else None,
                                  {r: counts.get(r, 0) for r in RATINGS}, len(given)))
    return Figures(
        workshop=workshop, total=total, by_prodi=[prodi[k] for k in sorted(prodi)],
        by_semester=[semester[k] for k in sorted(semester)], questions=questions, evaluations=evaluations,
        speakers=list(db.session.scalars(db.select(Speaker).where(Speaker.workshop_id == workshop.id)
                                         .order_by(Speaker.id))),
        checklist=list(db.session.scalars(db.select(ChecklistItem).where(ChecklistItem.workshop_id == workshop.id)
                                          .order_by(ChecklistItem.position, ChecklistItem.id))),
        follow_up=[e for e in evaluations if e.wants_counseling])


# -- the text -------------------------------------------------------------------------------
def draft_text(data: Figures) -> str:
    """The text the committee starts from: the figures in sentences."""
    w, t = data.workshop, data.total
    lines = [_("Workshop \"%(title)s\" dilaksanakan pada %(date)s%(venue)s.", title=w.title,
               date=local_date(w.starts_at), venue=_(" di %(venue)s", venue=w.venue) if w.venue else "")]
    if w.theme:
        lines.append(_("Tema: %(theme)s.", theme=w.theme))
    if data.speakers:
        lines.append(_("Narasumber: %(names)s.", names="; ".join(
            s.name + (f" ({s.institution})" if s.institution else "") for s in data.speakers)))
    lines.append(_("Pendaftar terkonfirmasi %(c)d, daftar tunggu %(w)d, hadir %(a)d, mengisi evaluasi %(e)d.",
                   c=t.confirmed, w=t.waiting, a=t.attended, e=t.evaluated))
    lines.append(_("Kehadiran per prodi: %(rows)s.", rows=", ".join(f"{r.label} {r.attended}" for r in data.by_prodi)
                   or "—"))
    lines.append(_("Rata-rata penilaian: %(rows)s.", rows=", ".join(
        f"{q.label} {q.average if q.average is not None else '—'}" for q in data.questions)))
    lines.append(_("%(n)d mahasiswa menginginkan konseling karier lanjutan.", n=len(data.follow_up)))
    return "\n".join(lines)


def save_report(workshop: Workshop, text: str) -> None:
    """Keep the committee's edited text."""
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Laporan tidak boleh kosong."), "report")
    if len(text) > MAX_REPORT:
        raise DomainError(_("Laporan paling banyak %(n)d karakter.", n=MAX_REPORT), "report")
    workshop.report = text
    db.session.flush()


def report_step_key(workshop: Workshop) -> str | None:
    """The key of the edition's step whose document is the activity report."""
    return next((s.key for s in workshop.case.procedure.steps if s.document == REPORT_DOC), None)


def report_letter(workshop: Workshop) -> Letter | None:
    return current_letter(workshop.case_id, report_step_key(workshop), REPORT_DOC)


def submit_report(workshop: Workshop, user: User, text: str, now: datetime | None = None) -> Letter:
    """Save the text and issue it as the numbered `laporan_kegiatan` letter. While the case waits
    at its report step and the user may take it, the step is completed (the engine issues the
    letter); otherwise the letter is issued on that step, as a new version if one exists."""
    now = now or utcnow()
    if workshop.starts_at > now:
        raise DomainError(_("Laporan dapat diajukan setelah workshop berlangsung (%(when)s).",
                            when=datetime_filter(workshop.starts_at)), "report")
    save_report(workshop, text)
    advance(workshop, user, screen_is("workshop", "attendance"), now=now)  # it took place (box 6)
    data = figures(workshop)
    follow_up = ", ".join(e.registration.name for e in data.follow_up) or _("tidak ada")
    case, step_key = workshop.case, report_step_key(workshop)
    if step_key is None:
        raise DomainError(_("Prosedur workshop ini tidak memiliki langkah laporan kegiatan."))
    row = case.step_row(step_key)
    if row is not None and row.state == StepState.ACTIVE and can_act(user, case, row):
        complete_step(case, step_key, user, {"report": workshop.report, "follow_up": follow_up[:4000]}, now=now)
        letter = report_letter(workshop)
        if letter is not None:
            return letter
    current = report_letter(workshop)
    return issue_letter(REPORT_DOC, user, signer_for(user, case), case=case, step_key=step_key, now=now,
                        correcting=current, reason=_("Laporan diperbarui.") if current else None,
                        extra={"data": {"report": workshop.report, "follow_up": follow_up,
                                        "attendees": data.total.attended, "theme": workshop.theme or "",
                                        "hari_workshop": local_date(workshop.starts_at)}})


# -- the command line and the spreadsheet -----------------------------------------------------
def figure_lines(data: Figures) -> list[str]:
    """The CLI's lines: the totals, then `prodi<TAB>CODE<TAB>key<TAB>N` and
    `semester<TAB>S<TAB>key<TAB>N` for each group and figure."""
    lines = [f"{key}\t{getattr(data.total, key)}" for key in KEYS]
    for kind, rows in (("prodi", data.by_prodi), ("semester", data.by_semester)):
        for row in rows:
            lines += [f"{kind}\t{row.code}\t{key}\t{getattr(row, key)}" for key in KEYS]
    return lines


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def to_xlsx(data: Figures) -> bytes:
    """The report's data as a workbook: summary, per prodi, per semester, evaluation, attendees."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def sheet(book, title, header, rows, first=False):
        ws = book.active if first else book.create_sheet(title)
        ws.title = title
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            append_row(ws, r)  # names and answers people typed stay text

    counts = ["Terkonfirmasi", "Daftar tunggu", "Hadir", "Mengisi evaluasi"]
    book = Workbook()
    sheet(book, "Ringkasan", ["Workshop", *counts],
          [[data.workshop.title, *(getattr(data.total, k) for k in KEYS)]], first=True)
    sheet(book, "Per prodi", ["Prodi", *counts], [[r.label, *(getattr(r, k) for k in KEYS)] for r in data.by_prodi])
    sheet(book, "Per semester", ["Semester", *counts],
          [[r.label, *(getattr(r, k) for k in KEYS)] for r in data.by_semester])
    sheet(book, "Evaluasi", ["Pertanyaan", "Rata-rata", "Jumlah jawaban", *(f"Nilai {r}" for r in RATINGS)],
          [[q.label, q.average, q.answered, *q.distribution.values()] for q in data.questions])
    sheet(book, "Jawaban", ["NIM", "Nama", "Prodi", "Semester", *(str(v) for v in QUESTIONS.values()), "Minat",
                            "Komentar", "Ingin konseling karier"],
          [[e.registration.nim, e.registration.name, e.registration.program.code if e.registration.program else "",
            e.registration.semester, *((e.ratings or {}).get(k) for k in QUESTIONS), e.interests or "",
            e.comments or "", "ya" if e.wants_counseling else "tidak"] for e in data.evaluations])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
