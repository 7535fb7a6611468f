"""Issue, download, correct and verify letters; admins edit templates and the letterhead."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.audit import record_audit
from app.auth.guards import get_or_404, public, role_required
from app.documents import bp
from app.documents.forms import IssueForm, LetterheadForm, TemplateForm
from app.documents.models import Letter
from app.documents.services import (check_template, issue_letter, sample_pdf, save_template,
                                    set_logo, signer_for, template_for)
from app.documents.types import DOC_TYPES
from app.errors import DomainError
from app.forms import error_text
from app.extensions import db
from app.htmx import render
from app.sop.models import Case
from app.sop.access import load_case, log_access
from app.sop.workcal import current_institution


def issuable(user, case: Case) -> list[str]:
    """Document types of this case's steps that the user may issue: whoever acts or acted on the
    step that produces it, and the unit's head who signs (the roles the procedure escalates to)."""
    if not case.can_view(user):
        return []
    procedure = case.procedure
    signs = user.has_role(*procedure.escalate_to)
    rows = {row.key: row for row in case.current_steps()}
    types = []
    for step in procedure.steps:
        row = rows[step.key]
        if not step.document or row.state.value not in ("active", "done") or step.document in types:
            continue
        if signs or row.done_by_id == user.id or case.can_act(user, row):
            types.append(step.document)
    return types


def _letter_for_viewer(letter_id: int) -> Letter:
    """A case's letter for those who may see the case; a letter without a case for its issuer."""
    letter = get_or_404(Letter, letter_id)
    if letter.case_id is not None:
        load_case(letter.case_id)
    elif letter.issued_by_id != current_user.id:
        abort(404)
    return letter


def _not_issued(case: Case, exc: DomainError):
    """Back to the case page with the reason; the number taken for the letter is given back."""
    g.rollback = True
    flash(_("Surat belum diterbitkan. %(reason)s", reason=exc.message), "error")
    return redirect(url_for("sop.show_case", case_id=case.id), 303)


@bp.post("/cases/<int:case_id>/letters/<doc_type>")
def issue(case_id: int, doc_type: str):
    """Issue the next numbered letter of a type for a case, signed by the unit's head."""
    case = load_case(case_id, lambda u, c: doc_type in issuable(u, c))
    form = IssueForm()
    if not form.validate_on_submit():
        return render("errors/error.html", title=_("Surat belum diterbitkan"), message=error_text(form), code=422,
                      status=422)
    step = next((s.key for s in case.procedure.steps if s.document == doc_type), None)
    try:
        letter = issue_letter(doc_type, current_user, signer_for(current_user), case=case, step_key=step,
                              extra={"recipient": form.recipient.data or ""})
    except DomainError as exc:
        return _not_issued(case, exc)
    log_access(case, current_user, f"letter:{doc_type}")
    flash(_("%(title)s nomor %(number)s diterbitkan.", title=letter.title, number=letter.number), "success")
    return redirect(url_for("sop.show_case", case_id=case.id))


@bp.get("/letters/<int:letter_id>.pdf")
def download(letter_id: int):
    """The stored PDF: the same document every time."""
    letter = _letter_for_viewer(letter_id)
    from io import BytesIO

    filename = f"{letter.doc_type}-{letter.number.replace('/', '-')}-v{letter.version}.pdf"
    response = send_file(BytesIO(letter.pdf), mimetype="application/pdf", download_name=filename,
                         as_attachment=False, etag=letter.verify_code, max_age=0)
    return response


@bp.post("/letters/<int:letter_id>/correct")
def correct(letter_id: int):
    """Issue a corrected version under the same number; the old version stays on record."""
    letter = _letter_for_viewer(letter_id)
    case = db.session.get(Case, letter.case_id) if letter.case_id else None
    if case is None or letter.doc_type not in issuable(current_user, case):
        abort(403)
    try:
        new = issue_letter(letter.doc_type, current_user, signer_for(current_user), case=case, step_key=letter.step_key,
                           extra={"recipient": letter.context.get("recipient", "")}, correcting=letter)
    except DomainError as exc:
        return _not_issued(case, exc)
    flash(_("Versi %(v)d surat %(number)s diterbitkan.", v=new.version, number=new.number), "success")
    return redirect(url_for("sop.show_case", case_id=case.id))


@bp.get("/verify/<code>")
@public
def verify(code: str):
    """Public: confirms a letter's number, type, date and signer — nothing confidential."""
    letter = db.session.scalar(db.select(Letter).where(Letter.verify_code == code[:40])) or abort(404)
    return render("documents/verify.html", letter=letter)


# -- admin ----------------------------------------------------------------------------------
@bp.get("/admin/letters")
@role_required("admin")
def list_templates():
    """Every document type with its number format."""
    return render("documents/templates.html", types=[(t, template_for(t.code)[1]) for t in DOC_TYPES.values()])


@bp.route("/admin/letters/<doc_type>", methods=["GET", "POST"])
@role_required("admin")
def edit_template(doc_type: str):
    """Edit a letter's wording and number format; preview with sample data; errors in place."""
    kind = DOC_TYPES.get(doc_type) or abort(404)
    body, fmt = template_for(doc_type)
    form = TemplateForm(data={"body": body, "number_format": fmt})
    preview, status = None, 200
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "preview":
                preview = check_template(doc_type, form.body.data, form.number_format.data)
            else:
                save_template(doc_type, form.body.data, form.number_format.data, current_user)
                record_audit("template.update", ("letter_template", doc_type), summary=_("Templat %(label)s diubah.", label=kind.label))
                flash(_("Templat %(label)s tersimpan.", label=kind.label), "success")
                return redirect(url_for("documents.list_templates"))
        except DomainError as exc:
            getattr(form, exc.field or "body").errors.append(exc.message)
            status = 422
    elif request.method == "POST":
        status = 422
    return render("documents/template_form.html", kind=kind, form=form, preview=preview, status=status)


@bp.get("/admin/letters/<doc_type>/preview.pdf")
@role_required("admin")
def preview_pdf(doc_type: str):
    """The saved template rendered to PDF with sample data."""
    DOC_TYPES.get(doc_type) or abort(404)
    from io import BytesIO

    try:
        pdf = sample_pdf(doc_type)
    except DomainError as exc:
        return render("errors/error.html", title=_("Templat bermasalah"), message=exc.message, code=422, status=422)
    return send_file(BytesIO(pdf), mimetype="application/pdf", download_name=f"contoh-{doc_type}.pdf")


@bp.route("/admin/letterhead", methods=["GET", "POST"])
@role_required("admin")
def letterhead():
    """The letterhead (kop surat): name, unit, address, contacts, logo, unit code for numbers."""
    institution = current_institution()
    form = LetterheadForm(obj=institution)
    if form.validate_on_submit():
        for name in ("name", "unit", "unit_code", "address", "city", "phone", "email", "website"):
            setattr(institution, name, getattr(form, name).data or None)
        upload = form.logo.data
        if upload and getattr(upload, "filename", ""):
            try:
                set_logo(institution, upload.read(), upload.filename)
            except DomainError as exc:
                form.logo.errors.append(exc.message)
                db.session.rollback()
                return render("documents/letterhead.html", form=form, institution=institution, status=422)
        record_audit("letterhead.update", institution, summary=_("Kop surat diubah."),
                     details={"logo": bool(upload and getattr(upload, "filename", ""))})
        flash(_("Kop surat tersimpan."), "success")
        return redirect(url_for("documents.letterhead"))
    return render("documents/letterhead.html", form=form, institution=institution,
                  status=422 if request.method == "POST" else 200)
