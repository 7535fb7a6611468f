"""Pages of prodi, roster and announcement: the prodi list with its kaprodi (admin, head), the
roster upload (head, staff), an edition's announcement progress with send, resend and nudge
(P2KLLK and the edition's committee), and the kaprodi's own page with the forward button."""
from __future__ import annotations

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import get_or_404, role_required
from app.errors import DomainError
from app.extensions import db
from app.forms import refuse
from app.htmx import render
from app.sop.services import STEP_SCREENS
from app.workshops import bp
from app.workshops.access import load_part, load_workshop, p2kllk_required
from app.workshops.announce_forms import ActionForm, ProgramForm, RosterForm
from app.workshops.announcements import (forward, kaprodi_announcement, kaprodi_items, nudge,
                                         progress, send_announcements)
from app.workshops.models import Announcement, StudyProgram, Workshop
from app.workshops.roster import RosterUnreadable, import_roster, roster_counts, save_program



def _me():
    return current_user._get_current_object()


# -- prodi ---------------------------------------------------------------------------------------
def _program_page(form: ProgramForm, program: StudyProgram | None):
    if form.validate_on_submit():
        try:
            saved = save_program(program, form.code.data, form.name.data, form.faculty.data,
                                 int(form.kaprodi_id.data) if form.kaprodi_id.data else None)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Prodi %(name)s tersimpan.", name=saved.name), "success")
            return redirect(url_for("workshops.list_programs"))
    status = 422 if request.method == "POST" else 200
    return render("workshops/prodi_list.html", form=form, program=program, programs=roster_counts(), status=status)


@bp.route("/admin/prodi", methods=["GET", "POST"])
@p2kllk_required("head", admin=True)
def list_programs():
    """The study programmes with their kaprodi and roster size; the form adds one."""
    return _program_page(ProgramForm(), None)


@bp.route("/admin/prodi/<int:program_id>", methods=["GET", "POST"])
@p2kllk_required("head", admin=True)
def edit_program(program_id: int):
    """Change a programme's code, name, faculty or kaprodi."""
    program = get_or_404(StudyProgram, program_id)
    form = ProgramForm(obj=program)
    if request.method == "GET":
        form.kaprodi_id.data = str(program.kaprodi_id or "")
    return _program_page(form, program)


# -- roster --------------------------------------------------------------------------------------
@bp.route("/workshops/roster", methods=["GET", "POST"])
@p2kllk_required("head", "staff")
def roster_upload():
    """Upload the roster; the page reports the accepted rows and every rejected one with its line."""
    form, report = RosterForm(), None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = import_roster(upload.read(), upload.filename or "")
        except RosterUnreadable as exc:
            refuse(form, DomainError(exc.message, "file"))
            status = 422
        else:
            if report.accepted == 0:
                status = 422  # nothing was taken: the rejections are the answer
            else:
                flash(_("%(n)d mahasiswa diterima ke roster.", n=report.accepted), "success")
    elif request.method == "POST":
        status = 422
    return render("workshops/announce_roster.html", form=form, report=report, programs=roster_counts(),
                  status=status)


# -- the announcement of an edition --------------------------------------------------------------
@bp.get("/workshops/<int:workshop_id>/announcements")
def announcements(workshop_id: int):
    """Sending progress per prodi: letter, e-mail state, forwarded, registrations over time."""
    workshop = load_workshop(workshop_id, manage=True)
    rows, days = progress(workshop)
    return render("workshops/announce_progress.html", block="progress", workshop=workshop, rows=rows, days=days,
                  form=ActionForm())


@bp.get("/workshops/case/<int:case_id>/announcements")
def announce_for_case(case_id: int):
    """The procedure's announcement step (screen workshop_announce) opened from its case."""
    workshop_id = db.session.scalar(db.select(Workshop.id).where(Workshop.case_id == case_id))
    if workshop_id is None:
        abort(404)
    load_workshop(workshop_id, manage=True)
    return redirect(url_for("workshops.announcements", workshop_id=workshop_id))


@bp.post("/workshops/<int:workshop_id>/announcements/send")
def send(workshop_id: int):
    """Issue and e-mail the letters not sent yet; re-queue the failed ones."""
    workshop = load_workshop(workshop_id, manage=True)
    if ActionForm().validate_on_submit():
        try:
            result = send_announcements(workshop, _me())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Surat baru: %(issued)d; dikirim ulang: %(requeued)d; tidak berubah: %(unchanged)d.",
                    issued=result.issued, requeued=result.requeued, unchanged=result.unchanged), "success")
            if result.without_kaprodi:
                flash(_("Belum ada kaprodi, tidak dikirimi: %(names)s.", names=", ".join(result.without_kaprodi)),
                      "error")
    else:
        flash(_("Sesi formulir kedaluwarsa; coba lagi."), "error")
    return redirect(url_for("workshops.announcements", workshop_id=workshop.id))


@bp.post("/workshops/<int:workshop_id>/announcements/<int:announcement_id>/nudge")
def nudge_kaprodi(workshop_id: int, announcement_id: int):
    """Remind the kaprodi of a programme without registrations (once a day)."""
    workshop = load_workshop(workshop_id, manage=True)
    announcement = load_part(workshop, Announcement, announcement_id)
    if ActionForm().validate_on_submit():
        try:
            queued = nudge(announcement, _me())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Pengingat dikirim kepada %(name)s.", name=announcement.program.kaprodi.name) if queued
                  else _("Kaprodi ini sudah diingatkan hari ini."), "success" if queued else "info")
    return redirect(url_for("workshops.announcements", workshop_id=workshop.id))


# -- the kaprodi ---------------------------------------------------------------------------------
@bp.get("/kaprodi")
@role_required("kaprodi")
def kaprodi_home():
    """The kaprodi's programmes: each announcement, its registrations, the forward button."""
    programs, items = kaprodi_items(_me())
    return render("workshops/prodi_kaprodi.html", programs=programs, items=items, form=ActionForm())


@bp.get("/workshops/<int:workshop_id>/announcements/<int:announcement_id>/letter.pdf")
@role_required("kaprodi")
def announcement_letter(workshop_id: int, announcement_id: int):
    """The surat pemberitahuan addressed to this kaprodi: the PDF their e-mail carried."""
    from io import BytesIO

    from app.documents.models import Letter

    announcement = kaprodi_announcement(workshop_id, announcement_id, _me())
    letter = db.session.get(Letter, announcement.letter_id) if announcement and announcement.letter_id else None
    if letter is None:
        abort(404)
    return send_file(BytesIO(letter.pdf), mimetype="application/pdf", etag=letter.verify_code, max_age=0,
                     download_name=f"{letter.doc_type}-{letter.number.replace('/', '-')}-v{letter.version}.pdf")


@bp.post("/workshops/<int:workshop_id>/announcements/<int:announcement_id>/forward")
@role_required("kaprodi")
def forward_announcement(workshop_id: int, announcement_id: int):
    """The programme's kaprodi forwards the announcement to its semester 3 and 5 students."""
    announcement = kaprodi_announcement(workshop_id, announcement_id, _me())
    if announcement is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            queued = forward(announcement, _me())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(_("Pengumuman diteruskan kepada %(n)d mahasiswa.", n=queued) if queued
                  else _("Semua mahasiswa semester 3 dan 5 di roster sudah menerima pengumuman ini."), "success")
    return redirect(url_for("workshops.kaprodi_home"))


# The procedure's step that declares `screen: workshop_announce` is carried out on this page.
STEP_SCREENS["workshop_announce"] = "workshops.announce_for_case"
