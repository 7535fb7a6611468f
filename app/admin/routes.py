"""Admin pages: list and search users (htmx, as you type), create, edit, (de)activate; the audit
log (admins and heads read it, nobody edits it)."""
from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.audit_log import AuditFilter, audit_xlsx, parse_filter, search_audit
from app.admin.forms import UnitForm, UserForm
from app.admin.services import admin_create_user, admin_update_user, set_user_active
from app.auth.audit import ACTIONS
from app.auth.guards import get_or_404, role_required
from app.auth.models import User, UserRole
from app.auth.roles import known_roles
from app.auth.services import generate_password
from app.errors import DomainError
from app.extensions import db
from app.forms import page_arg, refuse
from app.htmx import render
from app.org.models import Unit, UserUnit
from app.org.services import LETTERHEAD_FIELDS, all_units, office_hours_of, set_offer, set_user_units, unit_ids_of, update_unit
from app.sop.offerings import sync_offerings
from app.sop.services import recompute_deadlines
from app.sop.workcal import forget_calendar

PAGE_SIZE = 25
AUDIT_READERS = ("admin", "head")


def search_users(q: str, role: str, page: int):
    query = db.select(User).options(selectinload(User.role_rows)).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like),
                                func.lower(User.employee_number).like(like)))
    if role:
        query = query.where(User.id.in_(db.select(UserRole.user_id).where(UserRole.role == role)))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


@bp.get("/users")
@role_required("admin")
def list_users():
    """Users, searchable by name, e-mail or NIP and filterable by role."""
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    users = search_users(q, role, page_arg())
    return render("admin/users.html", block="results", users=users, q=q, role=role,
                  known_roles=known_roles())


def _save(form: UserForm, user: User | None):
    values = dict(email=form.email.data, name=form.name.data, roles=form.roles.data,
                  phone=form.phone.data or None, employee_number=form.employee_number.data or None)
    actor = current_user._get_current_object()
    if user is None:
        password = form.password.data or generate_password()
        user = admin_create_user(actor, password=password, active=form.active.data, **values)
        set_user_units(user, form.units.data or [], actor=actor)
        if not form.password.data:
            flash(_("Kata sandi awal untuk %(email)s: %(pw)s — sampaikan secara pribadi; "
                    "pengguna wajib menggantinya saat pertama masuk.", email=user.email, pw=password), "info")
        return user
    user = admin_update_user(actor, user, active=form.active.data, password=form.password.data or None,
                             confirm_email=form.confirm_email.data, **values)
    set_user_units(user, form.units.data or [], actor=actor)
    return user


def _user_form(user: User | None):
    sync_offerings()  # the units exist before the form lists them
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.roles.data = sorted(user.roles)
        form.units.data = [str(i) for i in sorted(unit_ids_of(user))]
    if form.validate_on_submit():
        try:
            saved = _save(form, user)
        except DomainError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(exc.message)
        else:
            flash(_("Pengguna %(name)s tersimpan.", name=saved.name), "success")
            return redirect(url_for("admin.list_users"))
    status = 422 if request.method == "POST" else 200
    return render("admin/user_form.html", form=form, user=user, status=status)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    """Create a user with roles."""
    return _user_form(None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    """Edit a user's details, roles and state (not one's own roles)."""
    return _user_form(get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def toggle_user(user_id: int):
    """Deactivate (or reactivate) a user; a deactivated user cannot log in and is signed out."""
    user = get_or_404(User, user_id)
    try:
        set_user_active(current_user._get_current_object(), user, request.form.get("active") == "1")
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(_("%(name)s sekarang %(state)s.", name=user.name,
                state=_("aktif") if user.active else _("nonaktif")), "success")
    return redirect(url_for("admin.list_users"))


def _audit_filter() -> tuple[AuditFilter, str | None]:
    try:
        return parse_filter(request.args), None
    except DomainError as exc:
        return AuditFilter(), exc.message


@bp.get("/audit")
@role_required(*AUDIT_READERS)
def audit():
    """The audit log: who changed which account, role, template or setting, and when."""
    flt, error = _audit_filter()
    events = search_audit(flt, page_arg(), current_user)
    return render("admin/audit.html", block="results", events=events, flt=flt, error=error,
                  actions=ACTIONS, status=422 if error else 200)


@bp.get("/audit.xlsx")
@role_required(*AUDIT_READERS)
def audit_export():
    """The filtered audit log as a spreadsheet."""
    flt, error = _audit_filter()
    if error:
        return render("errors/error.html", title=_("Permintaan tidak valid"), message=error, code=422, status=422)
    response = send_file(BytesIO(audit_xlsx(flt, current_user)), download_name="log-audit.xlsx", as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/units")
@role_required("admin")
def list_units():
    """The service units: who they are, how many members, which services they offer."""
    procedures = sync_offerings()
    counts = dict(db.session.execute(db.select(UserUnit.unit_id, func.count()).group_by(UserUnit.unit_id)).all())
    return render("admin/units.html", units=all_units(), counts=counts, procedures=procedures)


def _unit_page(unit: Unit, form: UnitForm, status: int = 200):
    procedures = sync_offerings()
    return render("admin/unit_form.html", unit=unit, form=form, procedures=procedures,
                  members=db.session.scalar(db.select(func.count()).where(UserUnit.unit_id == unit.id)),
                  status=status)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_unit(unit_id: int):
    """One place for a unit: its name, letterhead and working hours, and the services it offers."""
    unit = get_or_404(Unit, unit_id)
    form = UnitForm(obj=unit)
    if request.method == "GET":
        form.fill_hours(office_hours_of(unit))
    if form.validate_on_submit():
        values = {name: getattr(form, name).data or None for name in LETTERHEAD_FIELDS}
        try:
            update_unit(unit, office_hours=form.hours(), name=form.name.data, code=form.code.data,
                        institution_name=form.institution_name.data, **values)
        except DomainError as exc:
            refuse(form, exc)
        else:
            forget_calendar()
            changed = recompute_deadlines()
            flash(_("Unit %(name)s tersimpan; %(n)d tenggat dihitung ulang.", name=unit.name, n=changed), "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return _unit_page(unit, form, 422 if request.method == "POST" else 200)


@bp.post("/units/<int:unit_id>/procedures/<code>")
@role_required("admin")
def toggle_procedure(unit_id: int, code: str):
    """Switch one of the unit's services on or off (cases already open go on)."""
    unit = get_or_404(Unit, unit_id)
    procedures = sync_offerings()
    procedure = procedures.get(code)
    try:
        if procedure is None:
            raise DomainError(_("Layanan tidak ditemukan."))
        set_offer(unit, code, request.form.get("enabled") == "1", procedure.title)
    except DomainError as exc:
        flash(exc.message, "error")
        return _unit_page(unit, _filled_form(unit), 422)
    flash(_("%(title)s sekarang %(state)s di %(unit)s.", title=procedure.title, unit=unit.name,
            state=_("aktif") if request.form.get("enabled") == "1" else _("nonaktif")), "success")
    return redirect(url_for("admin.edit_unit", unit_id=unit.id))


def _filled_form(unit: Unit) -> UnitForm:
    form = UnitForm(formdata=None, obj=unit)
    form.fill_hours(office_hours_of(unit))
    return form
