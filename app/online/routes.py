"""Pages of online counseling: the wizard (one stage per form, phone first) and the private
conversation (htmx: the new messages every few seconds, posting without reloading)."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.accounts import profile_values
from app.booking.models import Mode
from app.booking.steps import requested_mode
from app.errors import DomainError
from app.extensions import db, limiter
from app.forms import refuse
from app.htmx import render
from app.online.forms import FinishForm, MessageForm, SessionForm, StartForm
from app.online.intake import (current_stage, go_back, is_intake, previous_stage, resume, running_intake, sent_notice,
                               stages, start_intake, submit_stage)
from app.online.thread import (SLOT_VALUE, Sessions, close_with_report, closing_report, may_open, messages,
                               own_words, post_message, preview, propose_session, sent_at, session_choices,
                               sessions, taken_by_another)
from app.online import bp
from app.sop.access import is_participant, load_case, on_team
from app.sop.models import Case
from app.sop.forms import build_form, form_values
from app.sop.registry import get_procedure
from app.sop.offerings import unit_for_request
from app.sop.services import can_open


SENT = "message-sent"  # the htmx event after a message is sent: the conversation's poll runs at once


def _intake_procedure(code: str):
    procedure = get_procedure(code[:60])
    if procedure is None or not is_intake(procedure):
        abort(404)
    if (not can_open(current_user, procedure) or not current_user.has_role(procedure.subject_role or "")
            or unit_for_request(current_user, procedure) is None):
        abort(403)  # the wizard is the person served's own, in a unit of theirs offering the service
    return procedure


@bp.route("/<code>/start", methods=["GET", "POST"])
def start(code: str):
    """The e-konseling begins: what happens, then one button; a running request is continued."""
    procedure = _intake_procedure(code)
    running = running_intake(procedure, current_user) if request.method == "GET" else None
    if running is not None:  # the request already asked for goes on where it stands
        flash(_("Permohonan Anda #%(id)d masih berjalan; Anda melanjutkannya di sini.", id=running.id), "info")
        return redirect(url_for("online.wizard", case_id=running.id))
    form = StartForm()
    if form.validate_on_submit():
        try:
            case = start_intake(procedure, current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return redirect(url_for("online.wizard", case_id=case.id))
    return render("online/start.html", procedure=procedure, form=form, status=422 if request.method == "POST" else 200)


def _own_case(case_id: int):
    """The wizard belongs to the person served (another's case: 404)."""
    case = load_case(case_id)
    if case.subject_id != current_user.id or not is_intake(case.procedure):
        abort(404)
    return case


@bp.route("/cases/<int:case_id>/wizard", methods=["GET", "POST"])
def wizard(case_id: int):
    """The current stage's short form; once the stages are done, the conversation."""
    case = _own_case(case_id)
    resume(case, current_user)
    stage = current_stage(case)
    if stage is None:
        return redirect(url_for("online.show_thread", case_id=case.id))
    row, step = stage
    phone = step.screen.get("phone")
    # what the profile holds (NIM, prodi, WhatsApp), then what a stage gone back to recorded
    profile = profile_values(current_user)
    known = {f.key: profile[f.key] for f in step.inputs if f.key in profile}
    known |= {f.key: (case.data or {})[f.key] for f in step.inputs if not f.confidential and f.key in (case.data or {})}
    if phone and current_user.phone:
        known[phone] = current_user.phone
    form = build_form(step.inputs, unit_id=case.unit_id, data=known or None)
    status = 200
    if request.method == "POST" and request.form.get("back"):  # "Kembali": the previous stage again
        try:
            go_back(case, current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for("online.wizard", case_id=case.id))
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                submit_stage(case, current_user, form_values(form, step.inputs))
            except DomainError as exc:
                refuse(form, exc)
            else:
                if current_stage(case) is None:  # the last stage: the request is sent
                    flash(sent_notice(case) or _("Permohonan terkirim."), "success")
                    return redirect(url_for("online.show_thread", case_id=case.id))
                return redirect(url_for("online.wizard", case_id=case.id))
        status = 422
        case = _own_case(case_id)
        stage = current_stage(case)
        if stage is None:
            return redirect(url_for("online.show_thread", case_id=case.id))
        row, step = stage
    forms = [r for r, s in stages(case) if s.screen.get("part") != "account" and r.state.value != "skipped"]
    number = next((i for i, r in enumerate(forms, 1) if r.id == row.id), 1)
    return render("online/wizard.html", block="stage", case=case, row=row, step=step, form=form,
                  number=number, total=len(forms), last=number == len(forms), back=previous_stage(case) is not None,
                  status=status)


def _thread_case(case_id: int):
    """The conversation: the person served and the team; a counselor who may take the case sees
    only the way to take it (and not the case page); one whose colleague took it first is told
    so; anyone else who cannot see the case: 404."""
    case = db.session.get(Case, case_id)
    if case is not None and taken_by_another(current_user, case):
        raise DomainError(_("Permohonan ini sudah dijawab dan ditangani konselor lain; Anda tidak perlu menjawabnya."))
    if case is not None and may_open(current_user, case):  # who may take it sees only this page of it
        return case
    return load_case(case_id, may_open)


def _after() -> int:
    value = request.args.get("after", "0")
    return int(value) if value.isdigit() and len(value) < 12 else 0


def _thread_page(case, status: int = 200, block: str | None = None, **forms):
    """The conversation page; for htmx, the new messages (`?after=`) or the block `block`."""
    participant = is_participant(current_user, case)
    after = _after() if request.headers.get("HX-Request") else 0
    items = messages(case, current_user, after) if participant and block is None else []
    last = items[-1][0].id if items else after
    story = own_words(case, current_user) if participant and not request.headers.get("HX-Request") else []
    shown = participant and block is None and not after and case.state.value == "open"  # the whole page, open case
    finish = closing_report(current_user, case)
    return render("online/thread.html", block=block or ("messages" if after else None), case=case, items=items,
                  last=last, story=story,
                  participant=participant, team=on_team(current_user, case), finish=finish,
                  preview=preview(case) if not participant else [], sent=sent_at(case) if not participant else None,
                  sessions=sessions(case) if shown else Sessions(None, None, None),
                  message_form=forms.get("message_form") or MessageForm(formdata=None),
                  finish_form=forms.get("finish_form") or FinishForm(formdata=None),
                  session_form=forms.get("session_form") or _session_form(case, formdata=None),
                  status=status)


def _session_form(case, **kwargs) -> SessionForm:
    """The session form offering the counselor's free slots (only on the team's open case), set to
    the form of session the person asked for."""
    requested = requested_mode(case)
    form = SessionForm(**kwargs, mode=requested.value if requested else None)
    slots = session_choices(current_user) if on_team(current_user, case) and case.state.value == "open" else []
    form.start.choices = [("", _("— pilih waktu —")), *slots] if slots else []
    return form


@bp.get("/cases/<int:case_id>")
def show_thread(case_id: int):
    """The private conversation of a case (with `?after=<id>`, htmx fetches only newer messages)."""
    return _thread_page(_thread_case(case_id))


def _poster_key() -> str:
    """Messages are limited per person (whatever their address), not per address; only the ones
    sent count (a refused one writes nothing and sends nothing)."""
    return f"online-post:{current_user.get_id() or request.remote_addr}"


@bp.post("/cases/<int:case_id>/messages")
@limiter.limit("10 per minute", key_func=_poster_key, deduct_when=lambda response: response.status_code < 400)
def post(case_id: int):
    """Send a message (a counselor not yet on the team takes the case by answering)."""
    case = _thread_case(case_id)
    form = MessageForm()
    if form.validate_on_submit():
        taking = not is_participant(current_user, case)
        try:
            post_message(case, current_user, form.text.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            if taking:  # the page from its top: the story now open to them
                flash(_("Anda kini menangani kasus ini: percakapan dan ceritanya terbuka bagi Anda."), "success")
                return redirect(url_for("online.show_thread", case_id=case.id))
            if request.headers.get("HX-Request"):  # an empty box, and the page's poll fetches the message at once
                response = _thread_page(case, block="compose")
                response.headers["HX-Trigger"] = SENT
                return response
            return redirect(url_for("online.show_thread", case_id=case.id, _anchor="terbaru"))  # the message sent
    return _thread_page(_thread_case(case_id), 422, block="compose", message_form=form)


@bp.post("/cases/<int:case_id>/finish")
def finish(case_id: int):
    """Close the case in its follow-up with the counselor's short report."""
    case = _thread_case(case_id)
    form = FinishForm()
    if form.validate_on_submit():
        try:
            close_with_report(case, current_user, form.text.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Layanan ditutup; percakapan kini hanya dapat dibaca."), "success")
            return redirect(url_for("online.show_thread", case_id=case.id))
    return _thread_page(_thread_case(case_id), 422, finish_form=form)


@bp.post("/cases/<int:case_id>/session")
def propose(case_id: int):
    """The counselor proposes a video or tatap muka session at one of their free slots."""
    case = _thread_case(case_id)
    form = _session_form(case)
    if form.validate_on_submit():
        try:
            propose_session(case, current_user, datetime.strptime(form.start.data, SLOT_VALUE), Mode(form.mode.data),
                            form.meeting_url.data or None, form.meeting_code.data or None)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Usulan sesi dikirim; konseli menerimanya di halaman jadwal."), "success")
            return redirect(url_for("online.show_thread", case_id=case.id))
    return _thread_page(_thread_case(case_id), 422, session_form=form)
