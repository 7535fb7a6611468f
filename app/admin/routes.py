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
from app.admin.forms import UserForm
from app.admin.services import admin_create_user, admin_update_user, set_user_active
from app.auth.audit import ACTIONS
from app.auth.guards import get_or_404, role_required
from app.auth.models import User, UserRole
from app.auth.roles import known_roles
from app.auth.services import generate_password
from app.errors import DomainError
from app.extensions import db
from app.forms import page_arg
from app.htmx import render

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
        if not form.password.data:
            flash(_("Kata sandi awal untuk %(email)s: %(pw)s — sampaikan secara pribadi; "
                    "pengguna wajib menggantinya saat pertama masuk.", email=user.email, pw=password), "info")
        return user
    return admin_update_user(actor, user, active=form.active.data, password=form.password.data or None, **values)


def _user_form(user: User | None):
    form = UserForm(obj=user)
    if request.method == "GET" and user is not None:
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        try:
            saved = _save(form, user)
        except DomainError as exc:
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
    events = search_audit(flt, page_arg())
    return render("admin/audit.html", block="results", events=events, flt=flt, error=error,
                  actions=ACTIONS, status=422 if error else 200)


@bp.get("/audit.xlsx")
@role_required(*AUDIT_READERS)
def audit_export():
    """The filtered audit log as a spreadsheet."""
    flt, error = _audit_filter()
    if error:
        return render("errors/error.html", title=_("Permintaan tidak valid"), message=error, code=422, status=422)
    response = send_file(BytesIO(audit_xlsx(flt)), download_name="log-audit.xlsx", as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Cache-Control"] = "private, no-store"
    return response
