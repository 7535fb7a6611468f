"""SOP pages: my tasks, procedures, cases (open, timeline, step forms), the working calendar."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam
from sqlalchemy.orm import lazyload

from app.auth.accounts import profile_values, remember_profile
from app.auth.audit import record_audit
from app.auth.guards import get_or_404, role_required
from app.auth.models import User
from app.converters import parse_id
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import error_text, refuse
from app.htmx import render
from app.keyset import keyset_page
from app.sop import bp, words  # noqa: F401 - words: the templates' SOP filters
from app.sop.access import (access_log, active_review, add_member, can_act, can_claim, can_review, can_see_log, claim,
                            claimable_role, in_follow_up, is_head_of, load_case, log_access, on_team, open_review,
                            readable_values, remove_member, shaped, visible_cases_filter)
from app.sop.calendar import national_holidays
from app.sop.forms import (ClosureForm, RemoveMemberForm, ReviewForm, TeamForm, build_form, form_values,
                           team_candidates)
from app.sop.models import Case, CaseState, CaseStep, Closure, StepState, case_list_options, step_list_options
from app.sop.registry import get_procedure, procedures
from app.org.services import all_units
from app.sop.offerings import (can_see_procedure, running_requests, service_time, services_for, sync_offerings,
                               unit_for_request)
from app.sop.services import (ACTION_DETAILS, STEP_SCREENS, case_panels, complete_step, open_case, recompute_deadlines,
                              start_screen, task_list)
from app.sop.subjects import register_subject
from app.org.services import current_institution
from app.sop.workcal import forget_calendar, working_calendar

PAGE_SIZE = 30
TASKS_SHOWN, MOST_TASKS_SHOWN = 50, 500  # "Tugas saya": the soonest due first, 50 more at a time


@bp.app_template_global()
def step_url(row: CaseStep) -> str:
    """Where a step is done: a domain's own screen when it has one, else the step's form."""
    screen = row.case.procedure.step(row.key).screen
    endpoint = STEP_SCREENS.get(screen["name"]) if screen else None
    if endpoint:
        return url_for(endpoint, case_id=row.case_id)
    return url_for("sop.step_form", case_id=row.case_id, key=row.key)


@bp.app_template_global()
def task_title(row: CaseStep) -> str:
    """A waiting step's title as its reader acts on it: the person served reads the step's
    `subject_title` when it has one (the SOP's title speaks of them), everyone else the SOP's."""
    if current_user.is_authenticated and current_user.id == row.case.subject_id:
        return row.case.procedure.step(row.key).subject_title or row.title
    return row.title


@bp.app_template_global()
def access_action(action: str, steps: dict | None = None) -> str:
    """An access-log action in words (a step by its number and title)."""
    kind, _sep, detail = action.partition(":")
    detail = ACTION_DETAILS.get(action) or (steps or {}).get(detail, detail)
    words = {"view": _("membuka kasus"), "read": _("membaca isi rahasia"), "step": _("menyelesaikan langkah"),
             "letter": _("menerbitkan surat"), "review": _("membuka untuk telaah"), "team": _("perubahan tim"),
             "export": _("mengunduh data pribadi"), "close": _("menutup kasus")}
    team = {"claimed": _("mengambil kasus"), "assigned": _("ditugaskan"), "added": _("menambah anggota tim"),
            "removed": _("mengeluarkan anggota tim")}
    if kind == "team":
        return team.get(detail, words["team"])
    if kind not in words and action in ACTION_DETAILS:  # another domain's own action, in its words
        return ACTION_DETAILS[action]
    return words.get(kind, action) + (f" ({detail})" if detail and kind != "team" else "")


@bp.app_template_global()
def access_reason(reason: str) -> str:
    """The ground of an access in words (tim kasus, penulis, dibagikan kepada kasubbag…)."""
    from app.auth.roles import role_label

    words = {"team": _("tim kasus"), "author": _("penulis isi"), "subject": _("penerima layanan")}
    parts = []
    for part in reason.split(", "):
        if part.startswith("grant:"):
            parts.append(_("dibagikan kepada %(role)s", role=role_label(part[6:])))
        elif part.startswith("review: "):
            parts.append(_("telaah kepala unit: %(reason)s", reason=part[8:]))
        else:
            parts.append(words.get(part, part))
    return "; ".join(parts)


bp.add_app_template_global(service_time)


@bp.app_template_global()
def request_url(service, case_id: int | None = None) -> str:
    """Where the person asks for a service (a domain's own screen for asking for oneself, when it
    has one), or follows their request `case_id` still running."""
    endpoint = start_screen(service.procedure) if service.mine else None
    if endpoint:  # the screen continues a running request itself
        return url_for(endpoint, code=service.procedure.code)
    if case_id:
        return url_for("sop.show_case", case_id=case_id)
    return url_for("sop.new_case", code=service.procedure.code, unit=service.unit.id)


@bp.app_template_global()
def pass_value(row: CaseStep, key: str, values: dict):
    """A confidential value as this pass of its step recorded it (a step repeated each day keeps
    each day's report), for a reader who may read it (`values` holds only what they may read)."""
    if key not in values or not row.sealed:
        return values.get(key)
    from app.crypto import UndecryptableError, unseal

    try:
        return unseal(row.sealed).get(key, values[key])
    except UndecryptableError:
        return values[key]


@bp.get("/tasks")
def tasks():
    """"Tugas saya": steps waiting for my roles or for me, soonest due first (polled by htmx); the
    first 50, and 50 more each time "Tampilkan lebih banyak" is followed (`?shown=100`)."""
    now = utcnow()
    shown = request.args.get("shown", TASKS_SHOWN, type=int)
    shown = min(max(shown // TASKS_SHOWN, 1) * TASKS_SHOWN, MOST_TASKS_SHOWN)
    tasks = task_list(current_user, now, limit=shown + 1)
    capped = len(tasks) > shown
    more = shown + TASKS_SHOWN if capped and shown < MOST_TASKS_SHOWN else None
    return render("sop/tasks.html", block="tasks", tasks=tasks[:shown], shown=shown, capped=capped, more=more,
                  now=now)


@bp.get("/procedures")
def list_procedures():
    """The services of the user's units for their roles, in plain words; admins see every
    procedure with its unit and code."""
    if current_user.has_role("admin"):
        loaded = sync_offerings()
        return render("sop/procedures.html", services=None, units=all_units(), procedures=loaded)
    services = services_for(current_user)
    return render("sop/procedures.html", services=services, running=running_requests(current_user, services))


@bp.get("/procedures/<code>")
def show_procedure(code: str):
    """A procedure's steps: actors, inputs, outputs and standard times, as the source has them
    (for those whose units offer it to their roles, and admins)."""
    procedure = get_procedure(code)
    if procedure is None or not can_see_procedure(current_user, procedure):
        abort(404)
    return render("sop/procedure.html", procedure=procedure,
                  can_open=unit_for_request(current_user, procedure) is not None)


@bp.get("/cases")
def list_cases():
    """The cases the user may see, newest first, paged by keyset; filter by procedure and state."""
    code, state = request.args.get("code", ""), request.args.get("state", "open")
    by_state = state in {s.value for s in CaseState}

    def chosen(query, case):  # the filters, their values bound when the statement runs
        if code:
            query = query.where(case.code == bindparam("code"))
        if by_state:
            query = query.where(case.state == bindparam("state"))
        return query

    def build(narrow, someone):
        return chosen(db.select(Case).where(visible_cases_filter(someone, narrow, chosen)), Case).options(
            *case_list_options(), lazyload(Case.version))  # a row shows its number, title, time and state

    cases = keyset_page(
        lambda narrow: shaped("cases", current_user, lambda someone: build(narrow, someone), narrow.__name__,
                              bool(code), by_state),
        Case.opened_at, Case.id, PAGE_SIZE, params={"user_id": current_user.id, "code": code, "state": state})
    active = {}
    if cases.items:
        rows = db.session.scalars(db.select(CaseStep).where(
            CaseStep.case_id.in_([c.id for c in cases.items]), CaseStep.state == "active")
            .options(*step_list_options()))
        active = {row.case_id: row for row in rows}
    services = services_for(current_user)
    shown = procedures() if current_user.has_role("admin") else {s.procedure.code: s.procedure for s in services}
    return render("sop/cases.html", block="results", cases=cases, active=active, code=code, state=state,
                  procedures=dict(sorted(shown.items(), key=lambda item: item[1].title)),
                  can_ask=any(s.opens for s in services), now=utcnow())


def _people(procedure, unit):
    """Whom a case may be opened for: active holders of the subject role in the case's unit."""
    if not procedure.subject_role or current_user.has_role(procedure.subject_role):
        return []
    from app.auth.models import UserRole
    from app.org.models import UserUnit

    return db.session.scalars(db.select(User).join(UserRole).join(UserUnit, UserUnit.user_id == User.id).where(
        UserRole.role == procedure.subject_role, UserUnit.unit_id == unit.id, User.active.is_(True))
        .order_by(User.name)).all()


@bp.route("/cases/new/<code>", methods=["GET", "POST"])
def new_case(code: str):
    """Open a case of a procedure (the request form)."""
    procedure = get_procedure(code) or abort(404)
    unit = unit_for_request(current_user, procedure, parse_id(request.args.get("unit")))
    if unit is None:
        abort(403)
    mine = procedure.subject_role and current_user.has_role(procedure.subject_role)  # I ask for myself
    if mine and (screen := start_screen(procedure)):  # asked for on its own screen (the wizard)
        return redirect(url_for(screen, code=procedure.code))
    people = _people(procedure, unit)
    form = build_form(procedure.fields, data=profile_values(current_user) if mine else None)
    subject_error = None
    registers = bool(procedure.register_subject) and not mine  # a person without an account may be registered
    if form.validate_on_submit():
        subject = None
        chosen = request.form.get("subject_id", "").strip()
        if registers and not chosen and request.form.get("new_name", "").strip():
            try:
                subject = register_subject(procedure, unit, current_user, request.form.get("new_name", ""),
                                           request.form.get("new_number", ""), request.form.get("new_email", ""))
            except DomainError as exc:
                db.session.rollback()
                subject_error = exc.message
        elif people or registers:
            subject = db.session.get(User, parse_id(chosen) or 0)
            if subject is None or subject not in people:
                subject = None
                subject_error = (_("Pilih penerima layanan, atau daftarkan orang baru.") if registers
                                 else _("Pilih penerima layanan."))
        if subject_error is None:
            values = form_values(form, procedure.fields)
            try:
                case = open_case(procedure, current_user, values, subject=subject, unit=unit)
            except DomainError as exc:
                refuse(form, exc)
            else:
                if mine:
                    remember_profile(current_user, values)
                flash(_("Layanan dibuka: kasus #%(id)d.", id=case.id), "success")
                return redirect(url_for("sop.show_case", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render("sop/new_case.html", procedure=procedure, unit=unit, form=form, people=people,
                  subject_error=subject_error, registers=registers, status=status)


def _read_values(case: Case) -> tuple[dict, dict]:
    """The case's values the current user may read (plain ones and readable confidential ones)
    and the ground of each confidential read; a key that no longer fits is said, never "empty"."""
    try:
        values, grounds = readable_values(current_user, case)
    except DomainError as exc:
        values, grounds = {}, {}
        flash(exc.message, "error")
    return {**(case.data or {}), **values}, grounds


def _case_page(case: Case, status: int = 200, **forms):
    """The case page: its timeline for everyone who may see it, confidential values for those who
    may read them (each read logged), the team, and the head's review and team controls."""
    procedure = case.procedure
    values, grounds = _read_values(case)
    log_access(case, current_user, "read" if grounds else "view", grounds)
    is_head = is_head_of(current_user, case)
    team_form = forms.get("team_form")
    if is_head and team_form is None:
        team_form = TeamForm(formdata=None)
        team_candidates(team_form, case)
    return render("sop/case.html", case=case, procedure=procedure, values=values,
                  readable=set(grounds), can_act=lambda row: can_act(current_user, case, row), now=utcnow(),
                  claimable=lambda row: claimable_role(current_user, case, row),
                  panels=case_panels(case, current_user), on_team=on_team(current_user, case),
                  review=active_review(current_user, case), can_review=can_review(current_user, case),
                  can_see_log=can_see_log(current_user, case), is_head=is_head, follow_up=in_follow_up(case),
                  review_form=forms.get("review_form") or ReviewForm(formdata=None), team_form=team_form,
                  remove_form=RemoveMemberForm(formdata=None), claim_error=forms.get("claim_error"),
                  remove_error=forms.get("remove_error"), status=status)


@bp.get("/cases/<int:case_id>")
def show_case(case_id: int):
    """A case's timeline: every step, who did it and when, against its deadline."""
    return _case_page(load_case(case_id))


@bp.route("/cases/<int:case_id>/steps/<key>", methods=["GET", "POST"])
def step_form(case_id: int, key: str):
    """The form of one step for its actor; refuses the wrong role, the wrong order, bad input."""
    case = load_case(case_id)
    procedure = case.procedure
    row = case.step_row(key) or abort(404)
    step = procedure.step(key)
    form = build_form(step.inputs, unit_id=case.unit_id)
    if form.validate_on_submit():
        try:
            if step.screen and step.screen["name"] in STEP_SCREENS:  # its own page does what the step records
                raise DomainError(_("Langkah ini diselesaikan melalui halamannya sendiri: %(url)s", url=step_url(row)))
            complete_step(case, key, current_user, form_values(form, step.inputs))
        except DomainError as exc:
            refuse(form, exc)
        else:
            log_access(case, current_user, f"step:{key}")
            flash(_("Langkah \u201c%(title)s\u201d selesai.", title=row.title), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    values, grounds = _read_values(case)
    if grounds:
        log_access(case, current_user, "read", grounds)
    earlier = [r for r in case.current_steps() if r.state == StepState.DONE and r.position < row.position]
    allowed = can_act(current_user, case, row)
    return render("sop/step.html", case=case, procedure=procedure, row=row, step=step, form=form,
                  allowed=allowed, claims=claimable_role(current_user, case, row),
                  contact=allowed or on_team(current_user, case),  # how to reach the client: for who acts
                  values=values, readable=set(grounds), earlier=earlier, meeting=_meeting(procedure, earlier),
                  now=utcnow(), status=422 if request.method == "POST" else 200)


def _meeting(procedure, done: list[CaseStep]) -> tuple | None:
    """The agreed meeting as the steps recorded it: (step, row, time field, place field) of the
    latest done step whose screen names a time or place (the agreement step), or None."""
    for row in reversed(done):
        step = procedure.step(row.key)
        screen = step.screen or {}
        if screen.get("time") or screen.get("place"):
            fields = {f.key: f for f in step.inputs}
            return step, row, fields.get(screen.get("time")), fields.get(screen.get("place"))
    return None


@bp.post("/cases/<int:case_id>/claim/<key>")
def claim_case(case_id: int, key: str):
    """A counselor takes an unclaimed case by taking its active step; they join its team."""
    case = load_case(case_id, can_claim)
    row = case.step_row(key) or abort(404)
    try:
        claim(case, current_user, row)
    except DomainError as exc:
        db.session.rollback()
        return _case_page(case, 422, claim_error=(key, exc.message))
    flash(_("Anda sekarang menangani kasus ini."), "success")
    return redirect(step_url(row))


@bp.post("/cases/<int:case_id>/review")
def open_case_review(case_id: int):
    """Break-glass: the head opens the case's confidential content for review, with a reason."""
    case = load_case(case_id, can_review)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            open_review(case, current_user, form.reason.data)
        except DomainError as exc:
            form.reason.errors.append(exc.message)
        else:
            flash(_("Kasus dibuka untuk telaah sampai akhir hari ini; tim kasus melihatnya."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return _case_page(case, 422, review_form=form)


@bp.post("/cases/<int:case_id>/team")
def add_team_member(case_id: int):
    """The head adds someone to the case team (recorded and shown on the case)."""
    case = load_case(case_id, is_head_of)
    form = TeamForm()
    team_candidates(form, case)
    if form.validate_on_submit():
        user_id, _sep, role = form.user_id.data.partition(":")
        try:
            add_member(case, current_user, db.session.get(User, int(user_id)), role, form.note.data)
        except DomainError as exc:
            form.user_id.errors.append(exc.message)
        else:
            flash(_("Tim kasus diperbarui."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    return _case_page(case, 422, team_form=form)


@bp.post("/cases/<int:case_id>/team/<int:member_id>/remove")
def remove_team_member(case_id: int, member_id: int):
    """The head takes someone off the case team, with a reason."""
    case = load_case(case_id, is_head_of)
    form = RemoveMemberForm()
    if form.validate_on_submit():
        try:
            remove_member(case, current_user, member_id, form.note.data)
        except DomainError as exc:
            db.session.rollback()
            message = exc.message
        else:
            flash(_("Tim kasus diperbarui."), "success")
            return redirect(url_for("sop.show_case", case_id=case.id))
    else:
        message = error_text(form)
    if not any(m.id == member_id for m in case.team()):  # no form of that member to show it by
        flash(message, "error")
    return _case_page(case, 422, remove_error=(member_id, message))


@bp.get("/cases/<int:case_id>/access")
def case_access_log(case_id: int):
    """Who opened the case or read its confidential content, what, when and why; team changes
    and reviews. For the case team and the heads."""
    case = load_case(case_id, can_see_log)
    procedure = case.procedure
    labels = {key: f.label for key, (f, _step) in procedure.field_origins().items()}
    return render("sop/access_log.html", case=case, entries=access_log(case), labels=labels,
                  steps=words.step_labels(procedure),
                  now=utcnow())


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
            record_audit("calendar.closure_add", ("closure", form.day.data.isoformat()), summary=_("Tanggal %(day)s ditambahkan ke kalender kerja: %(reason)s", day=form.day.data.isoformat(), reason=form.reason.data))
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
    record_audit("calendar.closure_delete", ("closure", closure_id), summary=_("Tanggal %(day)s dihapus dari kalender kerja.", day=get_or_404(Closure, closure_id).day.isoformat()))
    db.session.delete(get_or_404(Closure, closure_id))
    db.session.flush()
    forget_calendar()
    changed = recompute_deadlines()
    flash(_("Kalender diperbarui; %(n)d tenggat dihitung ulang.", n=changed), "success")
    return redirect(url_for("sop.calendar_settings"))
