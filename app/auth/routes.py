"""Login and logout, the user's own password, and "lupa kata sandi" by an e-mailed link.

Failed logins slow down per account and address (app/auth/throttle.py)."""
from __future__ import annotations


from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.forms import ForgotPasswordForm, LoginForm, PasswordChangeForm, ResetPasswordForm
from app.auth.guards import public, safe_next
from app.auth.models import email_key
from app.auth.services import (EmailNotConfirmed, authenticate, change_own_password, request_password_reset,
                               reset_password_by_token)
from app.auth.throttle import record_failure, record_success, wait_seconds
from app.auth.tokens import PASSWORD_RESET, find_token
from app.errors import DomainError
from app.extensions import limiter
from app.htmx import render
from app.public_pages import render_public

# Pages a user who must replace an admin-set password may still open.
BEFORE_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "static", "main.set_language"}


def _sign_in(user) -> None:
    """Start (or re-sign) this browser's session; it expires after SESSION_IDLE_MINUTES idle."""
    login_user(user)
    session.permanent = True


@bp.before_app_request
def _password_first():
    """While an admin-set password is unchanged, every page leads to the password form."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in BEFORE_PASSWORD_CHANGE):
        return redirect(url_for("auth.change_password"))
    return None


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return _("%(n)d detik", n=seconds)
    return _("%(n)d menit", n=-(-seconds // 60))


def login_page_after_limit(wait: int | None = None):
    """What a slowed-down login attempt sees: how long to wait, the same for every account."""
    form = LoginForm()
    form.password.errors = [
        _("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam %(wait)s.", wait=_wait_text(wait))
        if wait else _("Terlalu banyak percobaan masuk yang gagal. Tunggu beberapa menit lalu coba lagi.")
    ]
    response = render("auth/login.html", form=form, status=429)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    if request.method != "POST":
        return render_public("auth/login.html", lambda: {"form": LoginForm()})
    form = LoginForm()
    email, address = request.form.get("email", ""), request.remote_addr or ""
    if wait := wait_seconds(email, address):
        return login_page_after_limit(wait)
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except EmailNotConfirmed as exc:  # the right password: tell its owner what to do
            form.password.errors.append(exc.message)
            return render("auth/login.html", form=form, unconfirmed=True, status=403)
        if user is not None:
            record_success(email, address)
            _sign_in(user)
            flash(_("Selamat datang, %(name)s.", name=user.name.rstrip(".")), "success")
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("E-mail atau kata sandi salah, atau akun tidak aktif."))
    record_failure(email, address)
    return render("auth/login.html", form=form, status=422)


@bp.post("/logout")
def logout():
    """Sign out here and on every other device."""
    current_user.end_other_sessions()
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Replace my password (the current one is required); my other sessions end, this one stays."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(user, form.current_password.data, form.password.data)
        except DomainError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            _sign_in(user)
            flash(_("Kata sandi Anda sudah diganti. Sesi di perangkat lain sudah diakhiri."), "success")
            return redirect(url_for("main.index"))
    return render("auth/password.html", form=form, forced=current_user.must_change_password,
                  status=422 if request.method == "POST" else 200)


def _forgot_email_key() -> str:
    return "forgot-account:" + email_key(request.form.get("email", ""))[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit("5 per 15 minutes", methods=["POST"])
@limiter.limit("3 per hour", methods=["POST"], key_func=_forgot_email_key)
def forgot_password():
    """Ask for a one-time link by e-mail; the answer is the same whether the address exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(_("Jika alamat itu terdaftar dan aktif, kami sudah mengirim tautan untuk mengatur ulang "
                "kata sandi. Tautan berlaku 1 jam dan hanya sekali pakai."), "info")
        return redirect(url_for("auth.login"))
    return render("auth/forgot.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password through the e-mailed link (expires after 1 hour, works once)."""
    if find_token(token, PASSWORD_RESET) is None:
        response = render("auth/reset_invalid.html", status=410)
    else:
        form = ResetPasswordForm()
        if form.validate_on_submit():
            reset_password_by_token(token, form.password.data)
            flash(_("Kata sandi baru tersimpan. Silakan masuk."), "success")
            return redirect(url_for("auth.login"))
        response = render("auth/reset.html", form=form, status=422 if request.method == "POST" else 200)
    response.headers["Cache-Control"] = "no-store"
    return response
