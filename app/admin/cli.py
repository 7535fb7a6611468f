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
from app.org.models import Unit
from app.org.services import all_units, set_user_units
from app.sop.offerings import sync_offerings

MAX_PASSWORD_LENGTH = 256  # as the admin's user form

users_cli = AppGroup("users", help="Kelola pengguna.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, help="Kode peran; boleh diulang.")
@click.option("--unit", "unit_codes", multiple=True,
              help="Kode unit tempat pengguna menjadi anggota; boleh diulang (bawaan: satu-satunya unit, bila hanya satu).")
@click.option("--password-stdin", is_flag=True, help="Baca kata sandi dari standard input.")
def create_command(email, name, roles, unit_codes, password_stdin):
    """Create a user in the given units; the password comes from stdin or is generated and printed
    (a generated one must be changed at the first login)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    _check(email, name, password)
    units = _units(unit_codes)
    try:  # as the admin screen does: recorded, and a role that reads counseling content announced
        user = admin_create_user(None, email=email, name=name, roles=roles, password=password,
                                 must_change_password=not password_stdin)
        set_user_units(user, [unit.id for unit in units])
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise CommandError(exc.message) from None
    click.echo(f"Pengguna dibuat: {user.email} ({', '.join(sorted(user.roles))})")
    click.echo(_("Unit: %(units)s", units=", ".join(unit.code for unit in units) or "—"))
    if not password_stdin:
        click.echo(f"Kata sandi: {password}")


def _units(codes) -> list[Unit]:
    """The units named by code (every unknown one refused before anything is written); none named:
    the only unit when the installation has exactly one."""
    sync_offerings()  # a fresh installation has its units once the procedures are read
    units = all_units()
    if not codes:
        return units if len(units) == 1 else []
    by_code = {unit.code.casefold(): unit for unit in units}
    unknown = [code for code in codes if code.casefold() not in by_code]
    if unknown:
        raise CommandError(_("Unit tidak dikenal: %(codes)s. Unit yang ada: %(known)s.", codes=", ".join(unknown),
                             known=", ".join(unit.code for unit in units) or "—"))
    return list({by_code[code.casefold()].id: by_code[code.casefold()] for code in codes}.values())


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
