"""Login and logout. Failures are rate-limited per address and per account."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm
from app.auth.guards import public
from app.auth.models import email_key
from app.auth.services import authenticate
from app.extensions import limiter
from app.htmx import render


def _limit():
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _failed(response) -> bool:
    return bool(g.get("login_failed"))


def _account_key() -> str:
    return "login-account:" + email_key(request.form.get("email", ""))[:254]


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"], deduct_when=_failed, key_func=lambda: "login-ip:" + (request.remote_addr or ""))
@limiter.limit(_limit, methods=["POST"], deduct_when=_failed, key_func=_account_key)
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            flash(_("Selamat datang, %(name)s.", name=user.name), "success")
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("E-mail atau kata sandi salah, atau akun tidak aktif."))
    if request.method == "POST":
        g.login_failed = True
        return render("auth/login.html", form=form, status=422)
    return render("auth/login.html", form=form)


def login_page_after_limit():
    """What a rate-limited login attempt sees: the same message for every account."""
    form = LoginForm()
    form.password.errors = [
        _("Terlalu banyak percobaan masuk yang gagal. Tunggu 15 menit lalu coba lagi.")
    ]
    return render("auth/login.html", form=form, status=429)


@bp.post("/logout")
def logout():
    """Sign out."""
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("main.index"))
