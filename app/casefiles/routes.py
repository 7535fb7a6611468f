"""Case-file screens: the file (requirement documents, completeness, the step done there), the
informed consent and its withdrawal, the assessment sheet."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.converters import parse_id
from app.errors import DomainError
from app.forms import refuse
from app.htmx import render
from app.sop.access import can_act, claimable_role, load_case
from app.sop.forms import build_form, form_values
from app.sop.models import Case, StepState
from app.sop.services import complete_step
from app.casefiles import bp
from app.casefiles.assessments import read_assessment, sheet_for, submit_assessment
from app.casefiles.consent import can_withdraw, consent_of, consent_step, record_consent, withdraw_consent
from app.casefiles.forms import ConsentForm, SummaryForm, UploadForm, WithdrawForm
from app.casefiles.settings import CATEGORY_KINDS, categories
from app.casefiles.uploads import (KINDS, can_download, can_upload, missing_documents, open_upload, read_limited,
                                   max_bytes, required_documents, store_upload, uploads_of)

SCREEN = "casefile"


def _active_on(case: Case, screen: str):
    """The active step of the case done on `screen`, with its definition (None, None: none)."""
    for row in case.current_steps():
        step = case.procedure.step(row.key)
        if row.state == StepState.ACTIVE and step.screen and step.screen["name"] == screen:
            return row, step
    return None, None


def _upload_form(case: Case, formdata=None) -> UploadForm:
    form = UploadForm(formdata=formdata) if formdata is not None else UploadForm(formdata=None)
    form.requirement_id.choices = [SelectChoice("", _("Dokumen lain"))] + [
        SelectChoice(str(d.id), d.label) for d in required_documents(case.unit_id)]
    return form


def _file_page(case: Case, upload_form=None, step_form=None, status: int = 200):
    row, step = _active_on(case, SCREEN)
    allowed = row is not None and can_act(current_user, case, row)
    choices = {}
    if step is not None:
        choices = {step.screen[kind]: categories(case.unit_id, kind) for kind in CATEGORY_KINDS if step.screen.get(kind)}
        step_form = step_form or build_form(step.inputs, unit_id=case.unit_id)
    uploads = uploads_of(case)
    return render("casefiles/file.html", case=case, row=row, step=step, allowed=allowed, step_form=step_form,
                  claims=row is not None and claimable_role(current_user, case, row), choices=choices,
                  uploads=uploads, documents=required_documents(case.unit_id), missing=missing_documents(case),
                  have={u.requirement_id for u in uploads}, may_upload=can_upload(current_user, case),
                  may_download=lambda u: can_download(current_user, case, u), consent=consent_of(case),
                  upload_form=upload_form or _upload_form(case), limit_mb=f"{max_bytes() / (1024 * 1024):g}",
                  status=status)


@bp.route("/cases/<int:case_id>/file", methods=["GET", "POST"])
def case_file(case_id: int):
    """The case's file: requirement documents and their completeness, and the step done here."""
    case = load_case(case_id)
    if request.method == "GET":
        return _file_page(case)
    row, step = _active_on(case, SCREEN)
    if row is None:
        abort(404)
    if not can_act(current_user, case, row):
        abort(403)
    form = build_form(step.inputs, unit_id=case.unit_id)
    if form.validate_on_submit():
        try:
            complete_step(case, row.key, current_user, form_values(form, step.inputs))
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Langkah \u201c%(title)s\u201d selesai.", title=row.title), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return _file_page(case, step_form=form, status=422)


@bp.post("/cases/<int:case_id>/file/upload")
def upload(case_id: int):
    """Add a requirement document: checked by its content, stored encrypted outside the web root."""
    case = load_case(case_id, can_upload)
    form = _upload_form(case, request.form)
    if form.validate_on_submit():
        storage = request.files.get("file")
        try:
            data = read_limited(storage.stream, max_bytes()) if storage else b""
            store_upload(case, current_user, storage.filename if storage else None, data,
                         parse_id(form.requirement_id.data) if form.requirement_id.data else None)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Dokumen diunggah."), "success")
            return redirect(url_for("casefiles.case_file", case_id=case.id), 303)
    return _file_page(case, upload_form=form, status=422)


@bp.get("/cases/<int:case_id>/file/<int:upload_id>")
def download(case_id: int, upload_id: int):
    """One uploaded document, for the case team (and its uploader); 404 for anyone else."""
    case = load_case(case_id)
    found = open_upload(case, current_user, upload_id)
    if found is None:
        abort(404)
    upload, data = found
    return send_file(BytesIO(data), mimetype=KINDS[upload.kind], as_attachment=upload.kind == "pdf",
                     download_name=f"dokumen-{upload.id}.{'jpg' if upload.kind == 'jpeg' else upload.kind}")


@bp.route("/cases/<int:case_id>/consent", methods=["GET", "POST"])
def consent(case_id: int):
    """The informed consent: what the service is, who explains it, the client's answer and signature."""
    case = load_case(case_id)
    step = consent_step(case) or abort(404)
    row = case.step_row(step.key)
    form = ConsentForm()
    if request.method == "POST":
        if not can_act(current_user, case, row):
            abort(403)
        if form.validate_on_submit():
            try:
                record_consent(case, current_user, form.agreed.data == "ya", form.name.data, form.relation.data or "",
                               form.signature_kind.data, form.typed.data or "", form.drawn.data or "")
            except DomainError as exc:
                refuse(form, exc)
            else:
                flash(_("Persetujuan klien dicatat.") if form.agreed.data == "ya"
                      else _("Klien tidak menyetujui; kasus ditutup."), "success")
                return redirect(url_for("sop.show_case", case_id=case.id), 303)
    return render("casefiles/consent.html", case=case, step=step, row=row, form=form, record=consent_of(case),
                  allowed=can_act(current_user, case, row), claims=claimable_role(current_user, case, row),
                  withdraw_form=WithdrawForm(formdata=None), may_withdraw=can_withdraw(current_user, case),
                  status=422 if request.method == "POST" else 200)


@bp.post("/cases/<int:case_id>/consent/withdraw")
def withdraw(case_id: int):
    """The client withdraws consent: recorded, and the case stops."""
    case = load_case(case_id, can_withdraw)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            withdraw_consent(case, current_user, form.reason.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Persetujuan ditarik; layanan dihentikan dan kasus ditutup."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id), 303)
    step = consent_step(case)
    return render("casefiles/consent.html", case=case, step=step, row=case.step_row(step.key), form=ConsentForm(formdata=None),
                  record=consent_of(case), allowed=False, claims=None, withdraw_form=form, may_withdraw=True,
                  status=422)


@bp.route("/cases/<int:case_id>/assessment", methods=["GET", "POST"])
def assessment(case_id: int):
    """The unit's assessment sheet: filled by the counselor, read by the case team only."""
    case = load_case(case_id)
    row, step = _active_on(case, "assessment")
    allowed = row is not None and can_act(current_user, case, row)
    sheet = sheet_for(case)
    form = SummaryForm()
    if request.method == "POST":
        if not allowed:
            abort(403)
        if form.validate_on_submit():
            answers = {key: request.form.get(key, "") for key in request.form if key.startswith("q")}
            try:
                submit_assessment(case, current_user, answers, form.summary.data or "")
            except DomainError as exc:
                refuse(form, exc)
            else:
                flash(_("Lembar asesmen disimpan."), "success")
                return redirect(url_for("sop.show_case", case_id=case.id), 303)
    done, answers = read_assessment(case, current_user)
    return render("casefiles/assessment.html", case=case, row=row, step=step, sheet=sheet, form=form, done=done,
                  answers=answers if answers is not None else {}, readable=answers is not None, allowed=allowed,
                  claims=row is not None and claimable_role(current_user, case, row),
                  posted=request.form if request.method == "POST" else {},
                  status=422 if request.method == "POST" else 200)
