"""Study programmes (prodi) with their kaprodi, and the student roster imported from the
spreadsheets Indonesian offices keep (CSV with `;` or `,`, UTF-8 with or without BOM or
Windows-1252; or XLSX). Every row is checked; rejected rows are reported with their line and
reason; accepted rows are upserted by NIM together, in the caller's one transaction."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

import email_validator
from flask_babel import gettext as _

from app.auth.accounts import normalise_whatsapp
from app.auth.models import User, UserRole
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import plain_text_error, strip
from app.workshops.models import RosterStudent, StudyProgram

MAX_BYTES = 2 * 1024 * 1024  # a faculty's roster is a few hundred kilobytes
MAX_ROWS = 10_000
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024  # XML of 10,000 rows of six columns is a few megabytes
MAX_COLUMNS = 30  # the roster has six; a few more are ignored
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
NIM = re.compile(r"^[0-9]{5,20}$")
KAPRODI_ROLE = "kaprodi"


# -- study programmes ------------------------------------------------------------------------
def all_programs() -> list[StudyProgram]:
    return list(db.session.scalars(db.select(StudyProgram).order_by(StudyProgram.code)))


def kaprodi_candidates() -> list[User]:
    """Active users holding the kaprodi role: the choices of the kaprodi picker."""
    return list(db.session.scalars(db.select(User).join(UserRole).where(
        UserRole.role == KAPRODI_ROLE, User.active.is_(True)).order_by(User.name)))


def save_program(program: StudyProgram | None, code: str, name: str, faculty: str | None,
                 kaprodi_id: int | None) -> StudyProgram:
    """Add a programme (program None) or change one: a code unique regardless of case, a name,
    and a kaprodi who is an active user with the kaprodi role (or none yet). Flushes."""
    code, name, faculty = strip(code or ""), strip(name or ""), strip(faculty or "") or None
    if not CODE.match(code):
        raise DomainError(_("Kode prodi 1–20 huruf, angka, titik, garis bawah atau tanda hubung."), "code")
    if not name or len(name) > 200 or plain_text_error(name):
        raise DomainError(_("Nama prodi wajib diisi (paling panjang 200 karakter, tanpa tanda < >)."), "name")
    clash = db.session.scalar(db.select(StudyProgram).where(db.func.lower(StudyProgram.code) == code.lower()))
    if clash is not None and clash is not program:
        raise DomainError(_("Kode prodi %(code)s sudah dipakai %(name)s.", code=code, name=clash.name), "code")
    kaprodi = db.session.get(User, kaprodi_id) if kaprodi_id else None
    if kaprodi_id and (kaprodi is None or not kaprodi.active or not kaprodi.has_role(KAPRODI_ROLE)):
        raise DomainError(_("Kaprodi harus pengguna aktif dengan peran Kaprodi."), "kaprodi_id")
    program = program or StudyProgram()
    program.code, program.name, program.faculty, program.kaprodi_id = code, name, faculty, kaprodi_id
    db.session.add(program)
    db.session.flush()
    return program


# -- reading a spreadsheet ---------------------------------------------------------------------
HEADERS = {  # a header, lower-cased without spaces and punctuation -> the column it is
    "nim": "nim", "nomorindukmahasiswa": "nim", "nama": "name", "namamahasiswa": "name", "namalengkap": "name",
    "name": "name", "prodi": "prodi", "programstudi": "prodi", "kodeprodi": "prodi", "semester": "semester",
    "smt": "semester", "email": "email", "alamatemail": "email", "whatsapp": "whatsapp", "wa": "whatsapp",
    "nowa": "whatsapp", "nowhatsapp": "whatsapp", "nohp": "whatsapp", "nomorhp": "whatsapp", "hp": "whatsapp",
    "nohpwa": "whatsapp", "telepon": "whatsapp",
    "status": "status", "statusmahasiswa": "status", "dosenpa": "advisor", "dosenpembimbing": "advisor",
    "dosenpembimbingakademik": "advisor", "pembimbingakademik": "advisor", "emaildosenpa": "advisor",
    "nidndosenpa": "advisor",
}
# The student database's statuses; an empty cell is "aktif".
STATUSES = ("aktif", "cuti", "nonaktif", "lulus", "keluar")
ADVISOR_ROLE = "advisor"
REQUIRED = ("nim", "name", "prodi", "semester")


class RosterUnreadable(DomainError):
    """The file as a whole cannot be read (not a spreadsheet, too big, no header): nothing changes."""


def _header_key(text) -> str:
    return re.sub(r"[\s._\-/]", "", str(text or "")).lower()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    if "\x00" in text:
        raise RosterUnreadable(_("Berkas ini bukan CSV atau XLSX yang dapat dibaca."))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise RosterUnreadable(_("CSV tidak dapat dibaca (baris %(line)d): %(error)s", line=reader.line_num,
                                 error=str(exc))) from None
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a NIM or a semester typed as a number
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _check_unzipped_size(data: bytes) -> None:
    """A small XLSX may unzip to gigabytes of XML: refuse it before parsing (zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(entry.file_size for entry in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise RosterUnreadable(_("Berkas XLSX tidak dapat dibuka: %(error)s", error=str(exc)[:200])) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise RosterUnreadable(_("Isi berkas XLSX terlalu besar: paling besar %(n)d MB setelah dibuka.",
                                 n=MAX_UNZIPPED_BYTES // (1024 * 1024)))


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_unzipped_size(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise RosterUnreadable(_("Berkas XLSX tidak dapat dibuka: %(error)s", error=str(exc)[:200])) from None
    try:
        if not book.worksheets:
            raise RosterUnreadable(_("Berkas XLSX tidak berisi lembar kerja."))
        sheet = book.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            rows.append((number, [_cell(value) for value in row]))
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        book.close()
    return rows


def read_table(data: bytes, filename: str = "") -> tuple[dict[str, int], list[tuple[int, dict[str, str]]]]:
    """The header's columns and each non-empty data row as (line number, {column: text}).
    RosterUnreadable when the file is too big, too long, not a spreadsheet or lacks a column."""
    if not data:
        raise RosterUnreadable(_("Berkas kosong."))
    if len(data) > MAX_BYTES:
        raise RosterUnreadable(_("Berkas terlalu besar: paling besar %(n)d MB.", n=MAX_BYTES // (1024 * 1024)))
    is_xlsx = data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx")
    rows = _xlsx_rows(data) if is_xlsx else _csv_rows(data)
    rows = [(line, cells) for line, cells in rows if any(str(c).strip() for c in cells)]
    if not rows:
        raise RosterUnreadable(_("Berkas tidak berisi baris apa pun."))
    header_line, header = rows[0]
    columns = {}
    for index, name in enumerate(header):
        column = HEADERS.get(_header_key(name))
        if column and column not in columns:
            columns[column] = index
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise RosterUnreadable(_("Baris judul (baris %(line)d) harus memuat kolom NIM, Nama, Prodi dan Semester "
                                 "(juga E-mail dan WhatsApp bila ada); tidak ditemukan: %(missing)s.",
                                 line=header_line, missing=", ".join(missing)))
    data_rows = rows[1:]
    if not data_rows:
        raise RosterUnreadable(_("Berkas hanya berisi baris judul, tanpa mahasiswa."))
    if len(data_rows) > MAX_ROWS:
        raise RosterUnreadable(_("Terlalu banyak baris: paling banyak %(n)d mahasiswa per berkas.", n=MAX_ROWS))
    table = [(line, {col: (strip(cells[i]) if i < len(cells) else "") for col, i in columns.items()})
             for line, cells in data_rows]
    return columns, table


# -- checking and importing --------------------------------------------------------------------
@dataclass
class Rejected:
    line: int
    nim: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated


class _Advisors:
    """The dosen PA column names an advisor by e-mail or NIDN/NIP (users holding the advisor role)."""

    def __init__(self):
        self.by_key = {}
        for user in db.session.scalars(db.select(User).join(UserRole).where(UserRole.role == ADVISOR_ROLE,
                                                                            User.active.is_(True))):
            self.by_key[user.email.lower()] = user
            if user.employee_number:
                self.by_key.setdefault(user.employee_number.replace(" ", ""), user)

    def find(self, text: str) -> User | None:
        return self.by_key.get(text.strip().lower().replace(" ", ""))


class _Programs:
    """The prodi column names a programme by its code or its name, in any case."""

    def __init__(self):
        self.by_key = {}
        for program in all_programs():
            self.by_key.setdefault(program.code.lower(), program)
            self.by_key.setdefault(" ".join(program.name.lower().split()), program)

    def find(self, text: str) -> StudyProgram | None:
        return self.by_key.get(" ".join(text.lower().split()))


def check_row(values: dict[str, str], programs: _Programs, advisors: _Advisors | None = None) -> dict:
    """A row's values, cleaned; DomainError with the first reason it is refused."""
    nim = values.get("nim", "").lstrip("'").replace(" ", "")
    if not NIM.match(nim):
        raise DomainError(_("NIM harus 5–20 angka (tertulis: \"%(value)s\").", value=values.get("nim", "")[:40]))
    name = " ".join(values.get("name", "").split())
    if not name:
        raise DomainError(_("Nama kosong."))
    if len(name) > 200 or plain_text_error(name):
        raise DomainError(_("Nama tidak valid (paling panjang 200 karakter, tanpa tanda < > atau karakter kendali)."))
    program = programs.find(values.get("prodi", ""))
    if program is None:
        raise DomainError(_("Prodi \"%(value)s\" tidak dikenal (tulis kode atau nama prodi yang terdaftar).",
                            value=values.get("prodi", "")[:60]))
    semester_text = values.get("semester", "").strip()
    if not (semester_text.isascii() and semester_text.isdigit() and 1 <= int(semester_text) <= 14):
        raise DomainError(_("Semester harus angka 1–14 (tertulis: \"%(value)s\").", value=semester_text[:20]))
    email = values.get("email", "").strip() or None
    if email:
        try:
            email = email_validator.validate_email(email, check_deliverability=False).normalized
        except email_validator.EmailNotValidError:
            raise DomainError(_("E-mail \"%(value)s\" tidak valid.", value=email[:80])) from None
        if len(email) > 254:
            raise DomainError(_("E-mail terlalu panjang."))
    whatsapp = normalise_whatsapp(values.get("whatsapp", ""))
    row = {"nim": nim, "name": name, "program_id": program.id, "semester": int(semester_text), "email": email,
           "whatsapp": whatsapp}
    if "status" in values:  # only a file with the column changes the status
        status = values["status"].strip().lower() or STATUSES[0]
        if status not in STATUSES:
            raise DomainError(_("Status \"%(value)s\" tidak dikenal (aktif, cuti, nonaktif, lulus, keluar).",
                                value=values["status"][:30]))
        row["status"] = status
    if "advisor" in values and advisors is not None:  # likewise the dosen PA; an empty cell clears it
        text = values["advisor"].strip()
        advisor = advisors.find(text) if text else None
        if text and advisor is None:
            raise DomainError(_("Dosen PA \"%(value)s\" tidak dikenal (tulis e-mail atau NIDN dosen yang terdaftar "
                                "dengan peran Dosen PA).", value=text[:80]))
        row["advisor_id"] = advisor.id if advisor else None
    return row


def import_roster(data: bytes, filename: str = "", now: datetime | None = None) -> ImportReport:
    """Check every row; upsert the accepted ones by NIM (a student already in the roster gets the
    new values); list the rejected ones with their line and reason. RosterUnreadable (nothing
    changed) when the file cannot be read. Flushes; the caller's transaction makes it whole."""
    now = now or utcnow()
    _columns, table = read_table(data, filename)
    programs, advisors = _Programs(), _Advisors()
    report, accepted, first_line = ImportReport(), {}, {}
    for line, values in table:
        try:
            row = check_row(values, programs, advisors)
        except DomainError as exc:  # a refused row is reported, not raised: the others still count
            report.rejected.append(Rejected(line, values.get("nim", "")[:20], exc.message))
            continue
        if row["nim"] in accepted:
            report.rejected.append(Rejected(line, row["nim"], _("NIM %(nim)s sudah ada di baris %(line)d berkas ini.",
                                                                nim=row["nim"], line=first_line[row["nim"]])))
            continue
        accepted[row["nim"]], first_line[row["nim"]] = row, line
    existing = {}
    nims = list(accepted)
    for start in range(0, len(nims), 500):
        chunk = nims[start:start + 500]
        existing.update({s.nim: s for s in db.session.scalars(db.select(RosterStudent).where(
            RosterStudent.nim.in_(chunk)))})
    for nim, row in accepted.items():
        student = existing.get(nim)
        if student is None:
            db.session.add(RosterStudent(**row, imported_at=now))
            report.created += 1
        else:
            for key, value in row.items():
                setattr(student, key, value)
            student.imported_at = now
            report.updated += 1
    db.session.flush()
    return report


def roster_counts() -> list[tuple[StudyProgram, int, int]]:
    """Per programme: students in the roster, and of them in semester 3 or 5."""
    rows = db.session.execute(db.select(
        RosterStudent.program_id, db.func.count(),
        db.func.sum(db.case((RosterStudent.semester.in_([3, 5]), 1), else_=0))).group_by(RosterStudent.program_id)).all()
    counts = {program_id: (total, int(eligible or 0)) for program_id, total, eligible in rows}
    return [(p, *counts.get(p.id, (0, 0))) for p in all_programs()]
