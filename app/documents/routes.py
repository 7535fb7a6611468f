"""Issue, download, correct and verify letters; admins edit templates and the letterhead."""
from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.audit import record_audit
from app.auth.guards import get_or_404, public, role_required
from app.documents import bp
from app.documents.editor import (Part, build_number_format, parse_number_format, placeholders_for, starter_text,
                                  to_jinja)
from app.documents.forms import IssueForm, LetterheadForm, NewVersionForm, SimpleTemplateForm, TemplateForm
from app.documents.models import Letter
from app.documents.services import (check_template, current_letter, hidden_from, issue_letter, next_number,
                                    sample_pdf, save_template, set_logo, signer_for, template_for)
from app.documents.types import DOC_TYPES
from app.errors import DomainError
from app.forms import refuse
from app.extensions import db
from app.htmx import render
from app.sop.models import Case
from app.sop.access import is_head_of, load_case, log_access
from app.org.services import current_institution


def issuable_steps(user, case: Case) -> list[tuple[str, str]]:
    """(step key, document type) of this case's steps whose letter the user may issue: whoever
    acts or acted on the step that produces it, and the unit's head who signs (the roles the
    procedure escalates to). A letter addressed to the assigned officer waits for one."""
    if not case.can_view(user):
        return []
    procedure = case.procedure
    signs = is_head_of(user, case)
    rows = {row.key: row for row in case.current_steps()}
    found = []
    for step in procedure.steps:
        row = rows[step.key]
        if not step.document or row.state.value not in ("active", "done"):
            continue
        if "assignee" in step.document_to and case.assignee is None:
            continue  # a letter to the assigned officer waits until one is named
        if signs or row.done_by_id == user.id or case.can_act(user, row):
            found.append((step.key, step.document))
    return found


def issuable(user, case: Case) -> list[str]:
    """The document types of `issuable_steps`, once each."""
    return list(dict.fromkeys(doc_type for _key, doc_type in issuable_steps(user, case)))


def _letter_for_viewer(letter_id: int) -> Letter:
    """A case's letter for those who may see the case; a letter without a case for its issuer."""
    letter = get_or_404(Letter, letter_id)
    if letter.case_id is not None:
        if hidden_from(current_user, load_case(letter.case_id), letter.doc_type):
            abort(404)
    elif letter.issued_by_id != current_user.id:
        abort(404)
    return letter


def _step_to_issue(case: Case, doc_type: str, asked: str | None) -> str:
    """The step whose letter the request is about: the one asked for, else the first of the
    user's steps producing this type that has no letter yet (else the first: it is refused)."""
    keys = [key for key, kind in issuable_steps(current_user, case) if kind == doc_type]
    if asked:
        return asked if asked in keys else abort(404)
    return next((key for key in keys if current_letter(case.id, key, doc_type) is None), keys[0])


@bp.route("/cases/<int:case_id>/letters/<doc_type>", methods=["GET", "POST"])
def issue(case_id: int, doc_type: str):
    """Issue the numbered letter of a case step, signed by the unit's head. A number cannot be
    taken back, so the page first says so (GET, or a POST without `confirm=yes`) with the form;
    only the confirmed form issues. A step that has its letter is refused: a change is a new
    version (`correct`)."""
    case = load_case(case_id, lambda u, c: doc_type in issuable(u, c))
    form = IssueForm()
    step_key = _step_to_issue(case, doc_type, request.values.get("step"))
    status = 200
    if form.validate_on_submit() and form.confirm.data == "yes":
        done = _issue(case, form, doc_type, step_key=step_key, extra={"recipient": form.recipient.data or ""})
        if done:
            return done
        status = 422
    elif form.errors:
        status = 422
    form.step.data = step_key
    step = case.step_row(step_key)
    existing = current_letter(case.id, step_key, doc_type)
    upcoming = None if existing else next_number(doc_type, template_for(doc_type).number_format, case=case)
    return render("documents/issue.html", block="confirm", case=case, kind=DOC_TYPES[doc_type], form=form,
                  step=step, existing=existing, upcoming=upcoming, status=status)


def _issue(case: Case, form, doc_type: str, **how):
    """Issue a case's letter (or a new version of one) as the current user: back to the case, or
    None after a refusal, which `form` shows."""
    try:
        letter = issue_letter(doc_type, current_user, signer_for(current_user, case), case=case, **how)
    except DomainError as exc:
        refuse(form, exc)
        return None
    log_access(case, current_user, f"letter:{doc_type}")
    if letter.version > 1:
        flash(_("Versi %(v)d surat %(number)s diterbitkan.", v=letter.version, number=letter.number), "success")
    else:
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


@bp.route("/letters/<int:letter_id>/correct", methods=["GET", "POST"])
def correct(letter_id: int):
    """Make a new version of a letter, under the same number, with a reason: it supersedes the
    old version, which stays on record and shows as superseded where it is verified. GET shows
    what will happen and asks for the reason."""
    letter = _letter_for_viewer(letter_id)
    case = db.session.get(Case, letter.case_id) if letter.case_id else None
    if case is None or letter.doc_type not in issuable(current_user, case):
        abort(403)
    form = NewVersionForm()
    status = 200
    if form.validate_on_submit():
        done = _issue(case, form, letter.doc_type, step_key=letter.step_key, correcting=letter,
                      extra={"recipient": letter.context.get("recipient", "")}, reason=form.reason.data)
        if done:
            return done
        status = 422
    elif form.errors:
        status = 422
    return render("documents/new_version.html", block="confirm", case=case, letter=letter, form=form, status=status)


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
    """Every document type with its number format and the editor its wording was written in."""
    wordings = [(t, template_for(t.code)) for t in DOC_TYPES.values()]
    return render("documents/templates.html",
                  types=[(t, w, next_number(t.code, w.number_format)) for t, w in wordings])


def _editor_form(doc_type: str):
    """(editor, form, notices): the editor asked for (`editor` = "simple" or "html"; a form
    without it is the advanced one), filled with the wording in force, and what the simple
    editor cannot show as it is. Without a choice the page opens the simple editor, unless the
    institution's own wording is HTML."""
    wording = template_for(doc_type)
    chosen = (request.form if request.method == "POST" else request.args).get("editor")
    if chosen not in ("simple", "html"):
        chosen = "html" if request.method == "POST" or (wording.custom and wording.mode == "html") else "simple"
    notices = []
    if chosen == "html":
        body = wording.body if wording.mode == "html" else to_jinja(wording.body, doc_type)
        return chosen, TemplateForm(data={"body": body, "number_format": wording.number_format}), notices
    body = wording.body
    if wording.mode != "simple":
        body = starter_text(doc_type)
        notices.append(_("Surat ini sekarang memakai templat HTML (editor lanjutan). Teks di bawah adalah titik awal; "
                         "setelah disimpan, surat memakai teks ini.") if wording.custom else
                       _("Surat ini masih memakai teks bawaan. Teks di bawah adalah titik awal; setelah disimpan, "
                         "surat memakai teks ini."))
    parsed = parse_number_format(wording.number_format)
    if parsed is None:
        notices.append(_("Format nomor yang berlaku (%(fmt)s) tidak dapat disusun dari bagian-bagian; bagian di bawah "
                         "adalah format bawaan. Format itu tetap dapat diubah di editor lanjutan.",
                         fmt=wording.number_format))
        parsed = parse_number_format(DOC_TYPES[doc_type].number_format)
    padding, parts = parsed
    form = SimpleTemplateForm(data={"body": body, "padding": padding, "parts": [vars(p) for p in parts]})
    return chosen, form, notices


def _wording_from(form, editor: str) -> tuple[str, str]:
    """(body, number format) of a filled form; the simple editor's number is made from its parts."""
    if editor == "simple":
        parts = [Part(row.kind.data or "", row.value.data or "", row.sep.data or "") for row in form.parts]
        form.number_format.data = build_number_format(form.padding.data, parts)
    return form.body.data, form.number_format.data


def _messages(errors) -> list[str]:
    """Every message of a form's (nested) errors, for the preview that stands beside it."""
    if isinstance(errors, dict):
        errors = list(errors.values())
    if isinstance(errors, (list, tuple)):
        return [m for item in errors for m in _messages(item)]
    return [str(errors)]


def _template_page(doc_type: str, block: str | None = None):
    kind = DOC_TYPES.get(doc_type) or abort(404)
    editor, form, notices = _editor_form(doc_type)
    preview = upcoming = None
    status = 200
    if request.method == "GET" and editor == "html":
        return render("documents/template_form.html", kind=kind, editor=editor, form=form, notices=notices)
    if request.method == "GET" or form.validate_on_submit():
        try:
            body, fmt = _wording_from(form, editor)
            if request.method == "POST" and block is None and request.form.get("action") != "preview":
                save_template(doc_type, body, fmt, current_user, mode=editor)
                record_audit("template.update", ("letter_template", doc_type),
                             summary=_("Templat %(label)s diubah.", label=kind.label), details={"editor": editor})
                flash(_("Templat %(label)s tersimpan.", label=kind.label), "success")
                return redirect(url_for("documents.list_templates"))
            preview = check_template(doc_type, body, fmt, mode=editor, pdf=editor == "html")
            upcoming = next_number(doc_type, fmt)
        except DomainError as exc:
            refuse(form, exc)
            status = 422 if request.method == "POST" else 200
    else:
        status = 422
    return render("documents/template_form.html", block=block, kind=kind, editor=editor, form=form, notices=notices,
                  preview=preview, upcoming=upcoming, problems=_messages(form.errors), status=status,
                  placeholders=placeholders_for(doc_type))


@bp.route("/admin/letters/<doc_type>", methods=["GET", "POST"])
@role_required("admin")
def edit_template(doc_type: str):
    """Edit a letter's wording and number format: the simple editor (text with placeholders, the
    number from parts) or the advanced one (HTML and Jinja, `?editor=html`); `action=preview`
    shows it with sample data instead of saving; errors in place."""
    return _template_page(doc_type)


@bp.post("/admin/letters/<doc_type>/preview")
@role_required("admin")
def preview_template(doc_type: str):
    """The letter as edited so far, with sample data in the sandbox letters are issued with, and
    the next number; saves nothing. htmx swaps in the preview as the admin types; without
    JavaScript the Pratinjau button posts here and gets the whole page."""
    return _template_page(doc_type, block="preview")


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
