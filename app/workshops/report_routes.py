"""The report page of an edition (figures, charts, the committee's text, submission, XLSX,
evaluation reminders, follow-up requests) and the attendee's public evaluation form and
certificate, reached by their ticket."""
from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import public
from app.errors import DomainError
from app.database import utcnow
from app.extensions import db
from app.forms import refuse
from app.htmx import render
from app.workshops import bp
from app.workshops.access import is_p2kllk, load_workshop
from app.workshops.evaluations import (QUESTIONS, certificate_for, evaluation_of, is_attendee, non_responders,
                                       registration_by_ticket, remind_non_responders, submit_evaluation)
from app.workshops.follow_up import create_follow_up_requests
from app.workshops.models import Workshop
from app.workshops.report_forms import ActionForm, EvaluationForm, ReportForm
from app.workshops.reports import XLSX_MIME, draft_text, figures, report_letter, save_report, submit_report, to_xlsx



def _page(workshop: Workshop, form: ReportForm | None = None, status: int = 200):
    data = figures(workshop)
    form = form or ReportForm(report=workshop.report or draft_text(data))
    return render("workshops/report.html", w=workshop, data=data, form=form, action=ActionForm(),
                  letter=report_letter(workshop), non_responders=non_responders(workshop),
                  pending=[e for e in data.follow_up if e.follow_up_case_id is None],
                  may_follow_up=is_p2kllk(current_user, workshop), held=workshop.starts_at <= utcnow(),
                  status=status)


@bp.get("/workshops/<int:workshop_id>/report")
def show_report(workshop_id: int):
    """The report compiled from the edition's data, with the committee's text to edit."""
    return _page(load_workshop(workshop_id, manage=True))


@bp.post("/workshops/<int:workshop_id>/report")
def save_report_text(workshop_id: int):
    """Keep the edited report text."""
    workshop = load_workshop(workshop_id, manage=True)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            save_report(workshop, form.report.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Teks laporan disimpan."), "success")
            return redirect(url_for("workshops.show_report", workshop_id=workshop.id), 303)
    return _page(workshop, form, 422)


@bp.post("/workshops/<int:workshop_id>/report/submit")
def submit_report_letter(workshop_id: int):
    """Submit the report: the numbered laporan kegiatan (PDF), completing the SOP's report step."""
    workshop = load_workshop(workshop_id, manage=True)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            letter = submit_report(workshop, current_user._get_current_object(), form.report.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Laporan diajukan dengan nomor %(number)s.", number=letter.number), "success")
            return redirect(url_for("workshops.show_report", workshop_id=workshop.id), 303)
    return _page(workshop, form, 422)


@bp.get("/workshops/<int:workshop_id>/report.xlsx")
def report_xlsx(workshop_id: int):
    """The report's data as a spreadsheet."""
    workshop = load_workshop(workshop_id, manage=True)
    return send_file(BytesIO(to_xlsx(figures(workshop))), mimetype=XLSX_MIME, as_attachment=True,
                     download_name=f"laporan-workshop-{workshop.id}.xlsx")


@bp.post("/workshops/<int:workshop_id>/evaluations/remind")
def remind_evaluations(workshop_id: int):
    """Send the evaluation link, once more, to attendees who have not answered."""
    workshop = load_workshop(workshop_id, manage=True)
    if ActionForm().validate_on_submit():
        try:
            count = remind_non_responders(workshop)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Pengingat evaluasi dikirim ke %(n)d peserta.", n=count) if count
                  else _("Tidak ada peserta yang perlu diingatkan lagi."), "success")
    return redirect(url_for("workshops.show_report", workshop_id=workshop.id), 303)


@bp.post("/workshops/<int:workshop_id>/follow-up")
def create_follow_ups(workshop_id: int):
    """P2KLLK turns the follow-up list into career-counseling requests, in one action."""
    workshop = load_workshop(workshop_id, p2kllk=True)
    if ActionForm().validate_on_submit():
        try:
            result = create_follow_up_requests(workshop, current_user._get_current_object())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("workshops.show_report", workshop_id=workshop.id), 303)
        flash(_("%(n)d permohonan konseling karier dibuat; %(i)d mahasiswa diundang membuat akun.",
                n=len(result.created), i=len(result.invited)), "success")
        for line in result.skipped:
            flash(_("Dilewati: %(reason)s", reason=line), "error")
    return redirect(url_for("workshops.show_report", workshop_id=workshop.id), 303)


# -- the attendee ---------------------------------------------------------------------------
def _registration(ticket: str):
    registration = registration_by_ticket(ticket)
    if registration is None:
        abort(404)
    return registration


@bp.route("/workshops/evaluate/<ticket>", methods=["GET", "POST"])
@public
def evaluate(ticket: str):
    """Public, by the attendee's ticket: the evaluation form, answered once; afterwards the
    certificate to download."""
    registration = _registration(ticket)
    workshop = db.session.get(Workshop, registration.workshop_id)
    evaluation = evaluation_of(registration)
    form = EvaluationForm()
    status = 200
    if evaluation is None and form.validate_on_submit():
        try:
            submit_evaluation(registration, form.ratings(), form.interests.data, form.comments.data,
                              form.wants_counseling.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Terima kasih, evaluasi Anda tersimpan. Sertifikat Anda dapat diunduh."), "success")
            return redirect(url_for("workshops.evaluate", ticket=registration.ticket), 303)
    if form.is_submitted():
        if evaluation is not None:
            form.form_errors.append(_("Evaluasi untuk tiket ini sudah diisi. Terima kasih."))
        status = 422
    return render("workshops/evaluate.html", r=registration, w=workshop, evaluation=evaluation, form=form,
                  questions=QUESTIONS, attendee=is_attendee(registration), status=status)


@bp.get("/workshops/evaluate/<ticket>/certificate.pdf")
@public
def certificate(ticket: str):
    """The attendee's numbered certificate, once they answered the evaluation (the same letter
    at every download); before that, back to the form."""
    registration = _registration(ticket)
    try:
        letter = certificate_for(registration)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("workshops.evaluate", ticket=registration.ticket), 303)
    return send_file(BytesIO(letter.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"sertifikat-{letter.number.replace('/', '-')}.pdf")
