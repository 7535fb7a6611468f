"""Letters: numbering under a row lock, rendering in Jinja's sandbox, PDF with WeasyPrint,
versions, verification."""
from __future__ import annotations

import base64
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from flask import render_template
from babel.dates import format_date
from flask_babel import gettext as _
from jinja2 import TemplateError
from markupsafe import Markup
from sqlalchemy import update

from app.auth.models import User
from app.database import insert_ignore, utcnow
from app.documents.editor import to_jinja, unknown_placeholders
from app.documents.models import Letter, LetterCounter, LetterTemplate
from app.documents.pdf import STATIC_ROOT, render_pdf
from app.documents.sandbox import MAX_CHARS, RENDER_SECONDS, BoundedSandbox, RenderLimit
from app.documents.types import DOC_TYPES, NUMBER_KEYS, ROMAN, DocType
from app.errors import DomainError
from app.extensions import db
from app.sop.models import Case, Institution
from app.sop.registry import procedure_of
from app.org.services import letterhead_of
from app.org.services import current_institution
from app.urls import external_url

_sandbox = BoundedSandbox()
# What other domains add to a case letter's `data` (the disposisi chain on a lembar disposisi):
# callables (case, step_key, doc_type) -> dict.
LETTER_DATA: list = []
LOGO = STATIC_ROOT / "img" / "logo.svg"
MAX_FIELD_WIDTH = 12  # {seq:03d} is the usual; a wide field only pads


# -- templates and number formats ----------------------------------------------------------
@dataclass(frozen=True)
class Wording:
    """A letter type's wording in force: `body` is HTML and Jinja (mode "html") or plain text
    with placeholders (mode "simple", see app/documents/editor.py)."""

    body: str
    number_format: str
    mode: str = "html"
    custom: bool = False  # the institution's own, not the built-in default


def template_for(doc_type: str) -> Wording:
    """The wording in force: the institution's own, else the default."""
    row = db.session.get(LetterTemplate, doc_type)
    if row is not None:
        return Wording(row.body, row.number_format, row.mode, custom=True)
    default = DOC_TYPES[doc_type]
    return Wording(default.body, default.number_format)


def jinja_source(doc_type: str, body: str, mode: str) -> str:
    """What the sandbox renders: an HTML body as written; a simple text made into a template in
    which only its placeholders are expressions."""
    return to_jinja(body, doc_type) if mode == "simple" else body


def check_number_format(fmt: str) -> None:
    """A format must contain {seq} and use only known fields; raise DomainError otherwise."""
    if "{seq" not in fmt:
        raise DomainError(_("Format nomor harus memuat {seq}, mis. {seq:03d}/P2KLLK/{month_roman}/{year}."), "number_format")
    try:
        parsed = [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(fmt) if name]
    except ValueError as exc:
        raise DomainError(_("Format nomor tidak valid: %(error)s", error=str(exc)), "number_format") from None
    unknown = {name for name, _ in parsed} - NUMBER_KEYS
    if unknown:
        raise DomainError(_("Kolom tidak dikenal dalam format nomor: %(names)s (yang tersedia: %(known)s).",
                            names=", ".join(sorted(unknown)), known=", ".join(sorted(NUMBER_KEYS))), "number_format")
    if any("{" in spec or any(int(n) > MAX_FIELD_WIDTH for n in re.findall(r"\d+", spec)) for _, spec in parsed):
        raise DomainError(_("Format nomor tidak valid: lebar kolom paling banyak %(n)d, mis. {seq:03d}.",
                            n=MAX_FIELD_WIDTH), "number_format")
    try:
        # the longest number it can give: a long unit code, a six-digit sequence, VIII
        longest = format_number(fmt, 999999, datetime(2026, 8, 1), "U" * Institution.unit_code.type.length)
    except (ValueError, KeyError, IndexError) as exc:
        raise DomainError(_("Format nomor tidak valid: %(error)s", error=str(exc)), "number_format") from None
    if len(longest) > Letter.number.type.length:
        raise DomainError(_("Nomor surat dari format ini bisa lebih dari %(n)d karakter; persingkat formatnya.",
                            n=Letter.number.type.length), "number_format")


def format_number(fmt: str, seq: int, local_date: datetime, unit: str) -> str:
    return fmt.format(seq=seq, year=local_date.year, month=local_date.month,
                      month_roman=ROMAN[local_date.month - 1], unit=unit)


class _CaseData(dict):
    """A case's values in a letter: a value the case does not have yet prints as empty."""

    def __missing__(self, key):
        return ""


def _limit_message(exc: RenderLimit) -> str:
    if exc.kind == "tag":
        return _("{%% %(tag)s %%} tidak dapat dipakai: isi surat adalah satu templat saja, tanpa templat lain.",
                 tag=exc.detail)
    if exc.kind == "time":
        return _("perenderan melewati batas %(seconds)s detik; periksa perulangan (for, range) yang terlalu "
                 "banyak atau bersarang.", seconds=f"{RENDER_SECONDS:g}")
    if exc.kind == "size":
        return _("hasilnya melewati batas %(limit)s karakter; periksa perulangan, perkalian teks (*), atau "
                 "filter seperti center, indent, replace, join.", limit=f"{MAX_CHARS:,}".replace(",", "."))
    if exc.kind == "number":
        return _("bilangan yang dihitung terlalu besar (perkalian atau pangkat **).")
    return _("makro memanggil dirinya sendiri terlalu dalam (rekursi).")


def render_body(body: str, context: dict) -> Markup:
    """Render an (admin-editable) body in the bounded sandbox with only the letter's fields in
    reach. An unknown name is an error (StrictUndefined); a case value not filled in yet is empty.
    Whatever goes wrong (syntax, a refused name, a limit, a Python error in an expression) is a
    DomainError on the body field, never an exception the request does not expect."""
    try:
        return Markup(_sandbox.render_bounded(body, {**context, "data": _CaseData(context.get("data") or {})}))
    except Exception as exc:  # the body is the admin's code: whatever it raises is theirs to fix
        line = getattr(exc, "lineno", None)
        where = _(" (baris %(n)d)", n=line) if line else ""
        if isinstance(exc, RenderLimit):
            error = _limit_message(exc)
        elif isinstance(exc, TemplateError):
            error = exc.message or str(exc)
        else:
            error = f"{type(exc).__name__}: {exc}"
        raise DomainError(_("Templat surat bermasalah%(where)s: %(error)s", where=where, error=error),
                          "body") from None


def check_template(doc_type: str, body: str, number_format: str, mode: str = "html", pdf: bool = True) -> Markup:
    """A template as it would print, with sample data, in the sandbox letters are issued with:
    its number format, its body, and (`pdf`) the PDF it makes, which refuses any URL but data:
    and the app's own files. DomainError on a fault. A simple text holds no markup, so its live
    preview may skip the PDF."""
    check_number_format(number_format)
    unknown = unknown_placeholders(body, doc_type) if mode == "simple" else []
    if unknown:
        raise DomainError(_("Data %(tokens)s tidak dikenal untuk surat ini; pilih dari daftar data yang tersedia "
                            "(periksa ejaannya).", tokens=", ".join(unknown)), "body")
    context = sample_context(doc_type)
    rendered = render_body(jinja_source(doc_type, body, mode), context)
    if pdf:
        render_pdf(letter_html(context, rendered, "contoh", current_institution()))
    return rendered


def sample_pdf(doc_type: str) -> bytes:
    """The template in force rendered to PDF with sample data."""
    wording = template_for(doc_type)
    context = sample_context(doc_type)
    rendered = render_body(jinja_source(doc_type, wording.body, wording.mode), context)
    return render_pdf(letter_html(context, rendered, "contoh", current_institution()))


def _unit_code(case: Case | None, institution: Institution) -> str:
    """The unit part of a letter's number: the case's unit, else the institution's own."""
    return case.unit.code if case is not None and case.unit else institution.unit_code


def next_number(doc_type: str, number_format: str, now: datetime | None = None, case: Case | None = None) -> str:
    """The number the next letter of this type would get with this format, for `case`'s unit when
    it has one, as issue_letter numbers it (a preview: the number is only taken when issued)."""
    institution = current_institution()
    local = (now or utcnow()).astimezone(ZoneInfo(institution.timezone))
    last = db.session.scalar(db.select(LetterCounter.last_seq).where(
        LetterCounter.institution_id == institution.id, LetterCounter.doc_type == doc_type,
        LetterCounter.year == local.year)) or 0
    return format_number(number_format, last + 1, local, _unit_code(case, institution))


def set_logo(institution: Institution, data: bytes, filename: str) -> None:
    """The letterhead's logo: a PNG, or an SVG that makes the PDF fetch nothing but data: and the
    app's own files (an SVG may name other files or hosts). DomainError on the logo field."""
    is_svg = filename.lower().endswith(".svg")
    if (is_svg and b"<svg" not in data[:2000]) or (not is_svg and not data.startswith(b"\x89PNG")):
        raise DomainError(_("Berkas logo tidak sesuai jenisnya."), "logo")
    institution.logo, institution.logo_mimetype = data, "image/svg+xml" if is_svg else "image/png"
    render_pdf(f'<img src="{_logo_data_uri(institution)}" alt="">', field="logo")


def save_template(doc_type: str, body: str, number_format: str, user: User, mode: str = "html") -> LetterTemplate:
    """Store an institution's wording after it renders with sample data; nothing on error."""
    check_template(doc_type, body, number_format, mode)
    row = db.session.get(LetterTemplate, doc_type) or LetterTemplate(doc_type=doc_type)
    row.body, row.number_format, row.updated_at, row.updated_by_id = body, number_format, utcnow(), user.id
    row.mode = mode
    db.session.add(row)
    db.session.flush()
    return row


# -- numbers -------------------------------------------------------------------------------
def next_seq(institution: Institution, doc_type: str, year: int) -> int:
    """The next number of a type and year: the counter row is updated in place, which locks it
    until the transaction ends, so concurrent issues get consecutive numbers, never the same."""
    insert_ignore(LetterCounter, institution_id=institution.id, doc_type=doc_type, year=year, last_seq=0)
    statement = (update(LetterCounter)
                 .where(LetterCounter.institution_id == institution.id, LetterCounter.doc_type == doc_type,
                        LetterCounter.year == year)
                 .values(last_seq=LetterCounter.last_seq + 1).returning(LetterCounter.last_seq))
    return db.session.execute(statement).scalar_one()


# -- context and rendering -----------------------------------------------------------------
def _institution_dict(institution: Institution) -> dict:
    return {"name": institution.name, "unit": institution.unit, "address": institution.address or "",
            "city": institution.city or "", "phone": institution.phone or "", "email": institution.email or "",
            "website": institution.website or "", "unit_code": institution.unit_code}


def _signer(user: User | None) -> dict:
    if user is None:
        return {"name": "", "position": "", "nip": ""}
    return {"name": user.name, "position": user.position or "", "nip": user.employee_number or ""}


def letter_context(case: Case | None, doc_type: DocType, signer: User, extra: dict, number: str,
                   local_date: datetime, institution: Institution) -> dict:
    """Only what a letter may print: `case.data` holds no confidential value (those are sealed)."""
    context = {"institution": _institution_dict(institution), "number": number, "year": local_date.year,
               "date": format_date(local_date.date(), "d MMMM y", locale="id"), "signer": _signer(signer),
               "title": doc_type.label, "recipient": extra.get("recipient", ""), "case_id": None, "service": "",
               "person": extra.get("person", ""), "assignee": "", "data": {}, "link": extra.get("link", "")}
    if case is not None:
        context.update(case_id=case.id, service=procedure_of(case.version).title,
                       person=case.subject.name if case.subject else context["person"],
                       assignee=case.assignee.name if case.assignee else "", data=dict(case.data or {}))
    # values the issuer knows beyond the case's (a workshop's prodi, date and place); a letter
    # about someone who is not the case's subject (a workshop attendee's certificate) names them
    context["person"] = extra.get("person") or context["person"]
    context["data"] = {**context["data"], **(extra.get("data") or {})}
    return context


def sample_context(doc_type: str) -> dict:
    institution = current_institution()
    return {"institution": _institution_dict(institution), "number": "001/P2KLLK/XI/2026", "year": 2026,
            "date": "23 November 2026", "title": DOC_TYPES[doc_type].label, "recipient": "Ketua Program Studi",
            "signer": {"name": "Dr. Ratih Christiana, M.Pd.", "position": "Kepala P2KLLK", "nip": "0711078501"},
            "case_id": 1, "service": "Layanan Konseling Karier", "person": "Budi Santoso",
            "link": "https://kampus.ac.id/workshops/1/register?prodi=PMAT",
            "assignee": "Dra. Endang Lestari, M.Psi.",
            "data": {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "prodi_code": "PMAT", "mode": "tatap muka",
                     "committee": "1. Agus Prasetyo (koordinator alumni)\n2. Rina (divisi tracer study)",
                     "theme": "Mengenal Diri, Merancang Karier", "hari_workshop": "2026-12-05T09:00",
                     "venue": "Aula Utama", "agreed_at": "2026-11-25T10:00", "place": "Ruang Konseling 1",
                     "attendees": 120, "report": "Ringkasan kegiatan.", "follow_up": "12 mahasiswa",
                     "external_party": "dr. Sari Wulandari, Sp.KJ", "external_institution": "RSJ Menur",
                     "external_address": "Jl. Raya Menur 120, Surabaya", "instruction": "Tindak lanjuti sesuai prosedur.",
                     "workshop_title": "Workshop Minat Bakat 2026", "workshop_date": "5 Desember 2026",
                     "yth": "Kepala Biro III", "appointment_at": "2026-11-26T09:00", "appointment_place": "RS Jiwa",
                     "waktu": {"appointment_at": "Kamis, 26 November 2026 pukul 09.00"},
                     "nota_dinas": {"nomor": "ND-001/BK-IPDN/XI/2026", "tanggal": "23 November 2026",
                                    "dari": "Kepala Unit BK"},
                     "disposisi_ini": _SAMPLE_DISPOSITION,
                     "rantai_disposisi": [_SAMPLE_DISPOSITION],
                     "pilihan_disposisi": [["diketahui", "Untuk diketahui"], ["ditindaklanjuti", "Untuk ditindaklanjuti"]]}}


_SAMPLE_DISPOSITION = {"dari": "Kepala Unit BK", "dari_jabatan": "Kepala Unit", "kepada": "Kepala Biro III",
                       "kepada_jabatan": "Kepala Biro III", "isi": ["Untuk ditindaklanjuti"], "kode": ["ditindaklanjuti"],
                       "catatan": "Mohon arahan.", "batas_waktu": "25 November 2026", "tanggal": "23 November 2026",
                       "selesai": False, "selesai_oleh": ""}


def _logo_data_uri(institution: Institution) -> str:
    if institution.logo and institution.logo_mimetype:
        return f"data:{institution.logo_mimetype};base64,{base64.b64encode(institution.logo).decode()}"
    return "data:image/svg+xml;base64," + base64.b64encode(LOGO.read_bytes()).decode()


def verify_url(code: str) -> str:
    return external_url("documents.verify", code=code)


def letter_html(context: dict, body: Markup, verify_code: str, institution: Institution) -> str:
    qr = segno.make(verify_url(verify_code), error="m").svg_data_uri(scale=3, border=1)
    # a letter that invites to a page (the workshop's registration) prints its link and QR code
    link_qr = segno.make(context["link"], error="m").svg_data_uri(scale=3, border=1) if context.get("link") else None
    return render_template("documents/letter.html", c=context, body=body, qr=qr, verify_url=verify_url(verify_code),
                           logo=_logo_data_uri(institution), link_qr=link_qr)


# -- issuing --------------------------------------------------------------------------------
def current_letter(case_id: int, step_key: str | None, doc_type: str) -> Letter | None:
    """The letter of a type a case step stands on: the one no later version supersedes."""
    if step_key is None:
        return None
    return db.session.scalar(db.select(Letter).where(
        Letter.case_id == case_id, Letter.step_key == step_key, Letter.doc_type == doc_type,
        Letter.superseded_by_id.is_(None)))


def _lock_case(case: Case) -> None:
    """Issues of one case's letters take turns: writing the case row locks it (PostgreSQL) or
    takes the write lock (SQLite) until the transaction ends, so the check that follows sees
    what an issue that went first has committed."""
    db.session.execute(update(Case).where(Case.id == case.id).values(state=Case.state)
                       .execution_options(synchronize_session=False))


def _claim(letter: Letter) -> None:
    """Mark a current letter as being superseded (it points at itself until the new version has
    an id), or refuse when another version superseded it first. The conditional update is the
    lock: of two new versions at once, the second finds the letter already claimed."""
    claimed = db.session.execute(update(Letter).where(Letter.id == letter.id, Letter.superseded_by_id.is_(None))
                                 .values(superseded_by_id=Letter.id)
                                 .execution_options(synchronize_session=False)).rowcount
    if not claimed:
        raise DomainError(_("Surat ini sudah digantikan oleh versi yang lebih baru; buat versi baru dari versi "
                            "terbarunya."))


def issue_letter(doc_type: str, issued_by: User, signer: User, case: Case | None = None, step_key: str | None = None,
                 extra: dict | None = None, now: datetime | None = None, correcting: Letter | None = None,
                 reason: str | None = None) -> Letter:
    """Number, render, store; or, `correcting` a letter, a new version under its number that
    supersedes it (with the `reason`). A case step gets one numbered letter of a type: issuing it
    again is refused (DomainError), a change is a new version. Flushes."""
    if doc_type not in DOC_TYPES:
        raise DomainError(_("Jenis surat tidak dikenal."))
    now = now or utcnow()
    institution = current_institution()
    local = now.astimezone(ZoneInfo(institution.timezone))
    wording = template_for(doc_type)
    if case is not None:
        _lock_case(case)
    kind = DOC_TYPES[doc_type]
    if correcting is not None:
        _claim(correcting)
        year, seq, number = correcting.year, correcting.seq, correcting.number
        version = correcting.version + 1
    else:
        existing = current_letter(case.id, step_key, doc_type) if case is not None else None
        if existing is not None:
            raise DomainError(_("%(title)s untuk langkah ini sudah diterbitkan dengan nomor %(number)s. Satu langkah "
                                "tidak diberi nomor dua kali; untuk mengubah surat itu, buat versi baru.",
                                title=kind.label, number=existing.number))
        year = local.year
        seq = next_seq(institution, doc_type, year)
        number = format_number(wording.number_format, seq, local, _unit_code(case, institution))
        version = 1
    extra = dict(extra or {})
    if case is not None and LETTER_DATA:
        contributed = {}
        for contribute in LETTER_DATA:
            contributed.update(contribute(case, step_key, doc_type))
        extra["data"] = {**contributed, **(extra.get("data") or {})}
    context = letter_context(case, kind, signer, extra, number, local, institution)
    if case is not None and case.unit is not None:  # the kop of the unit the case belongs to
        context["institution"] = letterhead_of(case.unit)
    body = render_body(jinja_source(doc_type, wording.body, wording.mode), context)
    code = secrets.token_urlsafe(12)
    letter = Letter(institution_id=institution.id, doc_type=doc_type, year=year, seq=seq, version=version,
                    number=number, title=kind.label, case_id=case.id if case else None, step_key=step_key,
                    verify_code=code, signer_name=signer.name, signer_position=signer.position,
                    signer_nip=signer.employee_number, issued_at=now, issued_by_id=issued_by.id, context=context,
                    reason=reason, pdf=render_pdf(letter_html(context, body, code, institution)))
    db.session.add(letter)
    db.session.flush()
    if correcting is not None:
        correcting.superseded_by_id = letter.id
        db.session.flush()
    return letter


def hidden_from(user, case: Case, doc_type: str) -> bool:
    """Leadership's internal paper (DocType.internal) is not for the person the case is about."""
    kind = DOC_TYPES.get(doc_type)
    return bool(kind and kind.internal and case.subject_id == user.id)


def letters_of(case: Case) -> list[Letter]:
    """The case's letters, without those given one per person (an edition's certificates)."""
    per_person = [code for code, kind in DOC_TYPES.items() if kind.per_person]
    return list(db.session.scalars(db.select(Letter).where(Letter.case_id == case.id, Letter.doc_type.not_in(per_person))
                                   .order_by(Letter.issued_at, Letter.id)))


# -- letters that steps produce -------------------------------------------------------------
def signer_for(user: User, case: Case | None = None) -> User:
    """Letters are signed by the head of the case's unit: the user if they are one, else the first
    head there (a role holds in one's own units); never by the person the case serves."""
    from app.auth.services import active_users_with_roles
    from app.sop.access import besides_served, in_unit

    if user.has_role("head") and (case is None or in_unit(user, case) and user.id != case.subject_id):
        return user
    heads = active_users_with_roles({"head"}, case.unit_id if case is not None else None)
    if case is not None:
        heads = besides_served(case, heads)
    return heads[0] if heads else user


def letter_recipients(case: Case, specs: tuple[str, ...]) -> list[User]:
    """The people a step's `document.to` names, once each, active ones only; the person served
    only as `subject`, never as a holder of a `role:`."""
    from app.auth.services import active_users_with_roles
    from app.sop.access import besides_served

    people: dict[int, User] = {}
    for spec in specs:
        kind, _sep, value = spec.partition(":")
        if spec == "assignee":
            found = [case.assignee]
        elif spec == "subject":
            found = [case.subject]
        elif spec == "opener":  # who opened the case (the advisor who referred the student)
            found = [case.opened_by]
        elif spec == "team":
            found = [member.user for member in case.team()]
        elif kind == "role":  # in the case's unit (a role holds in one's own units)
            found = besides_served(case, active_users_with_roles({value}, case.unit_id))
        else:  # field:<user input>
            chosen = (case.data or {}).get(value)
            found = [db.session.get(User, int(chosen))] if str(chosen or "").isdigit() else []
        people.update({user.id: user for user in found if user is not None and user.active})
    return list(people.values())


def deliver_letter(letter: Letter, case: Case, recipients: list[User], now: datetime) -> int:
    """E-mail the letter (PDF attached) to its recipients, never leadership's internal paper to the
    person the case is about (hidden_from); the link to the case goes only to those who may open it."""
    from app.notifications.services import attachment, notify

    filename = f"{letter.doc_type}-{letter.number.replace('/', '-')}.pdf"
    sent = 0
    for user in recipients:
        if hidden_from(user, case, letter.doc_type):
            continue
        link = f"Kasus #{case.id}: {external_url('sop.show_case', case_id=case.id)}\n" if case.can_view(user) else ""
        body = f"Terlampir {letter.title} nomor {letter.number}.\n\n{link}Verifikasi surat: {verify_url(letter.verify_code)}"
        sent += notify(user, f"{letter.title} {letter.number}", body, key=f"letter:{letter.id}",
                       attachments=[attachment(filename, "application/pdf", letter.pdf)], now=now)
    return sent


def issue_for_step(case: Case, step, row, user: User, now: datetime) -> Letter | None:
    """When a step whose output is a document is done, its letter is issued, numbered and kept.
    A step done again (sent back, a new pass) makes a new version of its letter, not a new number."""
    if not step.issues_document(row.data) or step.document not in DOC_TYPES:
        return None
    current = current_letter(case.id, step.key, step.document)
    reason = _("Langkah \"%(step)s\" diselesaikan lagi.", step=row.title) if current is not None else None
    signer = user if DOC_TYPES[step.document].signed_by_actor else signer_for(user, case)
    letter = issue_letter(step.document, user, signer, case=case, step_key=step.key, now=now,
                          correcting=current, reason=reason)
    deliver_letter(letter, case, letter_recipients(case, step.document_to), now)
    return letter
