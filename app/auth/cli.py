"""`flask users create …`"""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.auth.audit import record_audit
from app.auth.services import create_user, generate_password
from app.errors import DomainError
from app.extensions import db

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
    try:
        user = create_user(email=email, name=name, roles=roles, password=password,
                           must_change_password=not password_stdin)
        record_audit("user.create", user, details={"roles": sorted(user.roles)},
                     summary=_("Akun %(name)s (%(email)s) dibuat lewat baris perintah.", name=user.name, email=user.email))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Pengguna dibuat: {user.email} ({', '.join(sorted(user.roles))})")
    if not password_stdin:
        click.echo(f"Kata sandi: {password}")
