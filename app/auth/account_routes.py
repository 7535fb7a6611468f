"""Pendaftaran mandiri (register, confirm by e-mail, resend), the profile the request forms reuse,
the first password of a walk-in client, and staff's "Daftarkan klien" screen."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import bp
from app.auth.accounts import (WALK_IN_ROLES, confirm_email as confirm_account, register_account,
                               register_walk_in, resend_confirmation as resend_link, self_register_roles,
                               set_first_password as set_first, update_profile)
from app.auth.forms import (ConfirmEmailForm, ProfileForm, RegisterForm, ResendConfirmationForm,
                            ResetPasswordForm, WalkInForm)
from app.auth.guards import public, role_required
from app.auth.models import email_key
from app.auth.routes import _sign_in
from app.auth.tokens import CONFIRM_EMAIL, SET_PASSWORD, find_token
from app.errors import DomainError
from app.extensions import limiter
from app.forms import refuse
from app.htmx import render


def _email_key(prefix: str):
    return lambda: f"{prefix}:" + email_key(request.form.get("email", ""))[:254]


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit("5 per 15 minutes", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key("register-account"))
def register():
    """Create my own account in a role the institution allows; it works once I follow the
    e-mailed link. The answer is the same whether the address already has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    roles = self_register_roles()
    form = RegisterForm(roles)
    if roles and form.validate_on_submit():
        try:
            register_account(form.email.data, form.name.data, form.role.data, form.password.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Kami sudah mengirim e-mail ke alamat itu. Buka tautan di dalamnya dalam 24 jam untuk "
                    "mengaktifkan akun. Jika alamat itu sudah terdaftar, e-mail itu berisi petunjuk untuk masuk."),
                  "info")
            return redirect(url_for("auth.login"), 303)
    return render("auth/register.html", form=form, roles=roles, status=_status())


@bp.route("/register/resend", methods=["GET", "POST"])
@public
@limiter.limit("5 per 15 minutes", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_email_key("resend-confirmation"))
def resend_confirmation():
    """Ask for a new confirmation link; the answer is the same whether the address exists."""
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        resend_link(form.email.data)
        flash(_("Jika alamat itu terdaftar dan belum dikonfirmasi, kami sudah mengirim tautan konfirmasi baru. "
                "Tautan berlaku 24 jam dan hanya sekali pakai."), "info")
        return redirect(url_for("auth.login"), 303)
    return render("auth/resend.html", form=form, status=_status())


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@public
@limiter.limit("10 per 15 minutes", methods=["POST"])
def confirm_email(token: str):
    """Activate my account through the e-mailed link (expires after 24 hours, works once) by
    giving the password I chose; I am signed in."""
    if find_token(token, CONFIRM_EMAIL) is None:
        return _no_store(render("auth/confirm_invalid.html", status=410))
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            user = confirm_account(token, form.password.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            _sign_in(user)
            flash(_("Alamat e-mail terkonfirmasi; akun Anda aktif. Lengkapi profil Anda agar formulir layanan "
                    "terisi otomatis."), "success")
            return redirect(url_for("auth.profile"), 303)
    return _no_store(render("auth/confirm.html", form=form, status=_status()))


@bp.route("/account/setup/<token>", methods=["GET", "POST"])
@public
def set_first_password(token: str):
    """Choose my own password for an account staff registered for me (link valid 3 days, once)."""
    if find_token(token, SET_PASSWORD) is None:
        return _no_store(render("auth/reset_invalid.html", setup=True, status=410))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            set_first(token, form.password.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Kata sandi tersimpan. Silakan masuk."), "success")
            return redirect(url_for("auth.login"), 303)
    return _no_store(render("auth/reset.html", form=form, status=_status()))


@bp.route("/account/profile", methods=["GET", "POST"])
def profile():
    """My name, NIM, prodi, year of graduation and WhatsApp number, filled once and reused by
    every request form."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            update_profile(user, name=form.name.data, nim=form.nim.data, prodi=form.prodi.data,
                           graduation_year=form.graduation_year.data, whatsapp=form.whatsapp.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Profil Anda tersimpan."), "success")
            return redirect(url_for("auth.profile"), 303)
    return render("auth/profile.html", form=form, user=user, status=_status())


@bp.route("/accounts/clients/new", methods=["GET", "POST"])
@role_required("staff")
def register_client():
    """Daftarkan klien: staff create an account for a walk-in client, student or alumnus, who
    receives a link by e-mail to choose their own password."""
    form = WalkInForm(WALK_IN_ROLES)
    if form.validate_on_submit():
        try:
            user = register_walk_in(current_user._get_current_object(), form.email.data, form.name.data,
                                    form.role.data, nim=form.nim.data, prodi=form.prodi.data,
                                    graduation_year=form.graduation_year.data)
            update_profile(user, whatsapp=form.whatsapp.data)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Akun %(name)s dibuat. Tautan untuk membuat kata sandi sudah dikirim ke %(email)s (berlaku "
                    "3 hari).", name=user.name, email=user.email), "success")
            return redirect(url_for("auth.register_client"), 303)
    return render("auth/register_client.html", form=form, status=_status())
