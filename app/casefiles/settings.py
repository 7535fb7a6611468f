"""What a unit defines for its case files: the required documents, the categories its monthly
client report counts by, and its assessment sheet (each change a new version)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.auth.models import User
from app.errors import DomainError
from app.extensions import db
from app.org.models import Unit, UnitProcedure
from app.org.services import cached_unit_ids
from app.casefiles.models import AssessmentSheet, ReportCategory, RequiredDocument

CATEGORY_KINDS = ("service", "channel", "problem")
MAX_LINES = 60


def can_configure(user: User, unit: Unit) -> bool:
    """Admins, and the head of the unit."""
    return user.is_authenticated and (user.has_role("admin") or (user.has_role("head") and unit.id in cached_unit_ids(user)))


def casefile_units(user: User) -> list[tuple[Unit, bool, bool]]:
    """The units whose procedures keep case files (a step with the `casefile` screen) that `user`
    configures or reads the report of: (unit, may configure, may see the report)."""
    from app.casefiles.report import can_see_report
    from app.sop.registry import procedures

    codes = [code for code, p in procedures().items()
             if any(s.screen and s.screen["name"] == "casefile" for s in p.steps)]
    units = db.session.scalars(db.select(Unit).where(Unit.id.in_(
        db.select(UnitProcedure.unit_id).where(UnitProcedure.code.in_(codes)))).order_by(Unit.name))
    rows = [(unit, can_configure(user, unit), can_see_report(user, unit)) for unit in units]
    return [row for row in rows if row[1] or row[2]]


def _lines(text: str, what: str, limit: int) -> list[str]:
    lines = []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split())
        if not line:
            continue
        if len(line) > limit:
            raise DomainError(_("%(what)s: baris \u201c%(line)s…\u201d lebih dari %(n)d karakter.", what=what,
                                line=line[:30], n=limit))
        if line.casefold() in {x.casefold() for x in lines}:
            raise DomainError(_("%(what)s: \u201c%(line)s\u201d tertulis dua kali.", what=what, line=line))
        lines.append(line)
    if len(lines) > MAX_LINES:
        raise DomainError(_("%(what)s: paling banyak %(n)d baris.", what=what, n=MAX_LINES))
    return lines


# -- required documents ---------------------------------------------------------------------
def set_required_documents(unit: Unit, text: str) -> list[RequiredDocument]:
    """One document per line; a line starting with "(opsional)" is asked for but not required.
    Documents no longer listed are kept (inactive) for the files already uploaded to them."""
    wanted = []
    for line in _lines(text, _("Dokumen persyaratan"), 200):
        optional = line.lower().startswith("(opsional)")
        label = line[len("(opsional)"):].strip() if optional else line
        if not label:
            raise DomainError(_("Dokumen persyaratan: tuliskan nama dokumen setelah (opsional)."))
        wanted.append((label, not optional))
    existing = {d.label: d for d in db.session.scalars(db.select(RequiredDocument).where(RequiredDocument.unit_id == unit.id))}
    for doc in existing.values():
        doc.active = False
    result = []
    for position, (label, required) in enumerate(wanted):
        doc = existing.get(label) or RequiredDocument(unit_id=unit.id, label=label)
        doc.required, doc.position, doc.active = required, position, True
        db.session.add(doc)
        result.append(doc)
    db.session.flush()
    return result


def required_documents_text(unit: Unit) -> str:
    docs = db.session.scalars(db.select(RequiredDocument).where(RequiredDocument.unit_id == unit.id,
                                                                RequiredDocument.active.is_(True))
                              .order_by(RequiredDocument.position)).all()
    return "\n".join(d.label if d.required else f"(opsional) {d.label}" for d in docs)


# -- categories -----------------------------------------------------------------------------
def categories(unit_id: int | None, kind: str) -> list[str]:
    """The unit's active categories of a kind, in its order."""
    if unit_id is None:
        return []
    return list(db.session.scalars(db.select(ReportCategory.label).where(
        ReportCategory.unit_id == unit_id, ReportCategory.kind == kind, ReportCategory.active.is_(True))
        .order_by(ReportCategory.position, ReportCategory.id)))


def set_categories(unit: Unit, kind: str, text: str) -> list[str]:
    """One category per line; removed ones stay in the records they were chosen for."""
    if kind not in CATEGORY_KINDS:
        raise DomainError(_("Jenis kategori tidak dikenal."))
    labels = _lines(text, _("Kategori"), 100)
    existing = {c.label: c for c in db.session.scalars(db.select(ReportCategory).where(
        ReportCategory.unit_id == unit.id, ReportCategory.kind == kind))}
    for category in existing.values():
        category.active = False
    for position, label in enumerate(labels):
        category = existing.get(label) or ReportCategory(unit_id=unit.id, kind=kind, label=label)
        category.position, category.active = position, True
        db.session.add(category)
    db.session.flush()
    return labels


# -- assessment sheets ----------------------------------------------------------------------
LONG = "[panjang]"


def parse_sheet(text: str) -> list[dict]:
    """`## Judul bagian` starts a section; every other line is a question; a question ending in
    [panjang] gets a long answer."""
    sections: list[dict] = []
    number = 0
    for line in _lines(text, _("Lembar asesmen"), 300):
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            if not title:
                raise DomainError(_("Lembar asesmen: judul bagian kosong."))
            sections.append({"title": title, "questions": []})
            continue
        if not sections:
            sections.append({"title": _("Asesmen"), "questions": []})
        long = line.endswith(LONG)
        label = line[: -len(LONG)].strip() if long else line
        number += 1
        sections[-1]["questions"].append({"key": f"q{number}", "label": label, "kind": "textarea" if long else "text"})
    if number == 0:
        raise DomainError(_("Lembar asesmen memerlukan minimal satu pertanyaan."))
    return sections


def sheet_text(sheet: AssessmentSheet | None) -> str:
    if sheet is None:
        return ""
    lines = []
    for section in sheet.sections:
        lines.append(f"## {section['title']}")
        lines += [q["label"] + (f" {LONG}" if q["kind"] == "textarea" else "") for q in section["questions"]]
    return "\n".join(lines)


def current_sheet(unit_id: int | None) -> AssessmentSheet | None:
    if unit_id is None:
        return None
    return db.session.scalar(db.select(AssessmentSheet).where(AssessmentSheet.unit_id == unit_id)
                             .order_by(AssessmentSheet.version.desc()).limit(1))


def save_sheet(unit: Unit, title: str, text: str, user: User | None) -> AssessmentSheet:
    """A new version of the unit's sheet when it changed; filled sheets keep their version."""
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise DomainError(_("Tuliskan judul lembar asesmen (paling panjang 200 karakter)."), field="title")
    sections = parse_sheet(text)
    latest = current_sheet(unit.id)
    if latest is not None and latest.sections == sections and latest.title == title:
        return latest
    sheet = AssessmentSheet(unit_id=unit.id, version=(latest.version + 1 if latest else 1), title=title,
                            sections=sections, created_by_id=user.id if user else None)
    db.session.add(sheet)
    db.session.flush()
    return sheet
