"""Admin pages: list and search users (htmx, as you type), create, edit, (de)activate."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_

from app.admin import bp
from app.admin.forms import UserForm
from app.auth.guards import get_or_404, role_required
from app.auth.models import User, UserRole
from app.auth.roles import known_roles
from app.auth.services import create_user, generate_password, update_user
from app.errors import DomainError
from app.extensions import db
from app.forms import page_arg
from app.htmx import render

PAGE_SIZE = 25


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every admin page is for the admin role only."""


def search_users(q: str, role: str, page: int):
    query = db.select(User).order_by(User.name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like),
                                func.lower(User.employee_number).like(like)))
    if role:
        query = query.where(User.id.in_(db.select(UserRole.user_id).where(UserRole.role == role)))
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


@bp.get("/users")
def list_users():
    """Users, searchable by name, e-mail or NIP and filterable by role."""
    q = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    page = page_arg()
    users = search_users(q, role, page)
    return render("admin/users.html", block="results", users=users, q=q, role=role,
                  known_roles=known_roles())


def _save(form: UserForm, user: User | None):
    values = dict(email=form.email.data, name=form.name.data, roles=form.roles.data,
                  phone=form.phone.data or None, employee_number=form.employee_number.data or None)
    if user is None:
        password = form.password.data or generate_password()
        user = create_user(password=password, **values)
        user.active = form.active.data
        if not form.password.data:
            flash(_("Kata sandi awal untuk %(email)s: %(pw)s — sampaikan secara pribadi.",
                    email=user.email, pw=password), "info")
        return user
    return update_user(user, active=form.active.data, password=form.password.data or None, **values)


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
def new_user():
    """Create a user with roles."""
    return _user_form(None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Edit a user's details, roles and state."""
    return _user_form(get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/active")
def toggle_user(user_id: int):
    """Deactivate (or reactivate) a user; a deactivated user cannot log in."""
    user = get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        flash(_("Anda tidak dapat menonaktifkan akun Anda sendiri."), "error")
        return redirect(url_for("admin.list_users"))
    user.active = active
    flash(_("%(name)s sekarang %(state)s.", name=user.name,
            state=_("aktif") if user.active else _("nonaktif")), "success")
    return redirect(url_for("admin.list_users"))
