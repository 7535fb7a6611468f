"""SOP pages: my tasks, procedures, cases (open, timeline, step forms), the working calendar."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import get_or_404, role_required
from app.auth.models import User
from app.database import utcnow
from app.converters import parse_id
from app.errors import DomainError
from app.extensions import db
from app.forms import page_arg
from app.htmx import render
from app.sop import bp
from app.sop.calendar import national_holidays
from app.sop.forms import ClosureForm, build_form, form_values
from app.sop.models import Case, CaseState, CaseStep, Closure
from app.sop.registry import get_procedure, procedure_of, procedures
from app.sop.services import (STEP_SCREENS, can_act, can_open, can_read_confidential, can_view, case_values, complete_step,
                              log_access, my_tasks, open_case, recompute_deadlines, visible_cases_filter)
from app.sop.workcal import current_institution, forget_calendar, working_calendar

PAGE_SIZE = 30


@bp.app_template_global()
def step_url(row: CaseStep) -> str:
    """Where a step is done: a domain's own screen when it has one, else the step's form."""
    endpoint = STEP_SCREENS.get((row.case.code, row.key))
    if endpoint:
        return url_for(endpoint, case_id=row.case_id)
    return url_for("sop.step_form", case_id=row.case_id, key=row.key)


@bp.get("/tasks")
def tasks():
    """"Tugas saya": steps waiting for my roles or for me, soonest due first (polled by htmx)."""
    return render("sop/tasks.html", block="tasks", tasks=my_tasks(current_user), now=utcnow())


@bp.get("/procedures")
def list_procedures():
    """Every loaded procedure, with what the user may open."""
    return render("sop/procedures.html", procedures=procedures().values(),
                  openable={p.code for p in procedures().values() if can_open(current_user, p)})


@bp.get("/procedures/<code>")
def show_procedure(code: str):
    """A procedure's steps: actors, inputs, outputs and standard times, as the source has them."""
    procedure = get_procedure(code) or abort(404)
    return render("sop/procedure.html", procedure=procedure, can_open=can_open(current_user, procedure))


@bp.get("/cases")
def list_cases():
    """The cases the user may see, newest first; filter by procedure and state."""
    code, state = request.args.get("code", ""), request.args.get("state", "open")
    query = db.select(Case).where(visible_cases_filter(current_user)).order_by(Case.opened_at.desc(), Case.id.desc())
    if code:
        query = query.where(Case.code == code)
    if state in {s.value for s in CaseState}:
        query = query.where(Case.state == state)
    cases = db.paginate(query, page=page_arg(), per_page=PAGE_SIZE, error_out=False)
    active = {}
    if cases.items:
        rows = db.session.scalars(db.select(CaseStep).where(
            CaseStep.case_id.in_([c.id for c in cases.items]), CaseStep.state == "active"))
        active = {row.case_id: row for row in rows}
    return render("sop/cases.html", block="results", cases=cases, active=active, code=code, state=state,
                  procedures=procedures(), now=utcnow())


def _people(procedure):
    if not procedure.subject_role or current_user.has_role(procedure.subject_role):
        return []
    from app.auth.models import UserRole

    return db.session.scalars(db.select(User).join(UserRole).where(
        UserRole.role == procedure.subject_role, User.active.is_(True)).order_by(User.name)).all()


@bp.route("/cases/new/<code>", methods=["GET", "POST"])
def new_case(code: str):
    """Open a case of a procedure (the request form)."""
    procedure = get_procedure(code) or abort(404)
    if not can_open(current_user, procedure):
        abort(403)
    form = build_form(procedure.fields)
    people = _people(procedure)
    subject_error = None
    if form.validate_on_submit():
        subject = None
        if people:
            subject = db.session.get(User, parse_id(request.form.get("subject_id")) or 0)
            if subject is None or subject not in people:
                subject_error = _("Pilih penerima layanan.")
        if subject_error is None:
            try:
                case = open_case(procedure, current_user, form_values(form, procedure.fields), subject=subject)
            except DomainError as exc:
                flash(exc.message, "error")
            else:
                flash(_("Layanan dibuka: kasus #%(id)d.", id=case.id), "success")
                return redirect(url_for("sop.show_case", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render("sop/new_case.html", procedure=procedure, form=form, people=people,
                  subject_error=subject_error, status=status)


def _case_for_viewer(case_id: int) -> Case:
    case = get_or_404(Case, case_id)
    if not can_view(current_user, case):
        abort(404)  # do not reveal that the case exists
    return case


@bp.get("/cases/<int:case_id>")
def show_case(case_id: int):
    """A case's timeline: every step, who did it and when, against its deadline."""
    case = _case_for_viewer(case_id)
    procedure = procedure_of(case.version)
    confidential = can_read_confidential(current_user, case)
    log_access(case, current_user, "view")
    from app.documents.routes import issuable
    from app.documents.services import letters_of
    from app.documents.types import DOC_TYPES

    return render("sop/case.html", case=case, procedure=procedure, values=case_values(case) if confidential else case.data,
                  confidential=confidential, can_act=lambda row: can_act(current_user, case, row), now=utcnow(),
                  letters=letters_of(case), issuable=issuable(current_user, case), doc_types=DOC_TYPES)


@bp.route("/cases/<int:case_id>/steps/<key>", methods=["GET", "POST"])
def step_form(case_id: int, key: str):
    """The form of one step for its actor; refuses the wrong role, the wrong order, bad input."""
    case = _case_for_viewer(case_id)
    procedure = procedure_of(case.version)
    row = next((s for s in case.steps if s.key == key), None) or abort(404)
    step = procedure.step(key)
    form = build_form(step.inputs)
    if form.validate_on_submit():
        try:
            complete_step(case, key, current_user, form_values(form, step.inputs))
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            log_access(case, current_user, f"step:{key}")
            flash(_("Langkah \u201c%(title)s\u201d selesai.", title=row.title), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return render("sop/step.html", case=case, row=row, step=step, form=form, allowed=can_act(current_user, case, row),
                  now=utcnow(), status=422 if request.method == "POST" else 200)


@bp.route("/admin/calendar", methods=["GET", "POST"])
@role_required("admin")
def calendar_settings():
    """Office closures and corrections to national holidays; deadlines follow at once."""
    institution = current_institution()
    form = ClosureForm()
    if form.validate_on_submit():
        exists = db.session.scalar(db.select(Closure).where(Closure.institution_id == institution.id,
                                                            Closure.day == form.day.data))
        if exists:
            form.day.errors.append(_("Tanggal ini sudah ada di daftar."))
        else:
            db.session.add(Closure(institution_id=institution.id, day=form.day.data,
                                   open=form.open.data == "open", reason=form.reason.data))
            db.session.flush()
            forget_calendar()
            changed = recompute_deadlines()
            flash(_("Kalender diperbarui; %(n)d tenggat dihitung ulang.", n=changed), "success")
            return redirect(url_for("sop.calendar_settings"))
    year = request.args.get("year", date.today().year, type=int)
    year = min(max(year, 2000), 2100)
    closures = db.session.scalars(db.select(Closure).where(Closure.institution_id == institution.id)
                                  .order_by(Closure.day)).all()
    status = 422 if request.method == "POST" else 200
    return render("sop/calendar.html", form=form, closures=closures, holidays=sorted(national_holidays(year).items()),
                  year=year, calendar=working_calendar(), institution=institution, status=status)


@bp.post("/admin/calendar/<int:closure_id>/delete")
@role_required("admin")
def delete_closure(closure_id: int):
    """Remove a closure or correction; deadlines are recomputed."""
    db.session.delete(get_or_404(Closure, closure_id))
    db.session.flush()
    forget_calendar()
    changed = recompute_deadlines()
    flash(_("Kalender diperbarui; %(n)d tenggat dihitung ulang.", n=changed), "success")
    return redirect(url_for("sop.calendar_settings"))
