"""`flask users create …`"""
from __future__ import annotations

import sys

import click
import email_validator
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.admin.services import admin_create_user
from app.auth.models import User
from app.auth.services import MIN_PASSWORD_LENGTH, generate_password
from app.cli import CommandError
from app.errors import DomainError
from app.extensions import db
from app.forms import plain_text_error

MAX_PASSWORD_LENGTH = 256  # as the admin's user form

users_cli = AppGroup("users", help="Kelola pengguna.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="Kode peran; boleh diulang.")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari standard input.")
def create_command(email, name, roles, password_stdin):
    """Create a user; the password comes from stdin or is generated and printed (a generated one
    must be changed at the first login)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    _check(email, name, password)
    try:  # as the admin screen does: recorded, and a role that reads counseling content announced
        user = admin_create_user(None, email=email, name=name, roles=roles, password=password,
                                 must_change_password=not password_stdin)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise CommandError(exc.message) from None
    click.echo(f"Pengguna dibuat: {user.email} ({', '.join(sorted(user.roles))})")
    if not password_stdin:
        click.echo(f"Kata sandi: {password}")


def _check(email: str, name: str, password: str) -> None:
    """The admin's user form rules, for the command line: a real address, a plain non-empty name,
    nothing longer than its column."""
    columns = User.__table__.c
    if not name.strip():
        raise CommandError(_("Nama wajib diisi."))
    if len(name.strip()) > columns.name.type.length:
        raise CommandError(_("Nama paling panjang 120 karakter."))
    error = plain_text_error(name)
    if error:
        raise CommandError(f"{_('Nama lengkap')}: {error}")
    if len(email.strip()) > columns.email.type.length:
        raise CommandError(_("E-mail terlalu panjang."))
    try:
        email_validator.validate_email(email.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise CommandError(_("Alamat e-mail tidak valid.")) from None
    check_new_password(password)


def check_new_password(password: str) -> None:
    """Refuse, before anything is written, a password the accounts would not accept."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise CommandError(_("Kata sandi 8–256 karakter."))
