"""`flask workshops create`: an edition with registration open, for operators and load tests."""
from __future__ import annotations

from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask_babel import gettext as _

from app.auth.services import active_users_with_roles
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import parse_datetime
from app.sop.services import skip_to
from app.urls import external_url
from app.workshops.cli import workshops_cli
from app.workshops.editions import create_workshop, open_registration, registration_stage


def _moment(text: str):
    value = parse_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"]))


@workshops_cli.command("create")
@click.option("--title", required=True, help="Judul workshop.")
@click.option("--at", "at", required=True, help="Waktu workshop (ISO 8601, mis. 2026-12-05T09:00+07:00).")
@click.option("--capacity", required=True, type=click.IntRange(1, 10_000), help="Jumlah kursi.")
@click.option("--register-until", default=None, help="Batas pendaftaran (ISO 8601).")
def create_command(title, at, capacity, register_until):
    """Create an edition with registration open: its case opened by the first head (else staff)
    of P2KLLK and moved to the announcement stage (the steps before it marked skipped). Prints
    the id and the registration URL."""
    try:
        opener = next(iter(active_users_with_roles({"head"}) or active_users_with_roles({"staff"})), None)
        if opener is None:
            raise DomainError(_("Belum ada pengguna aktif berperan Kepala atau TU; buat dulu dengan "
                                "`flask users create`."))
        now = utcnow()
        workshop = create_workshop(title, _moment(at), capacity,
                                   _moment(register_until) if register_until else None, opener, now=now)
        skip_to(workshop.case, registration_stage(workshop), now=now)
        open_registration(workshop)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    click.echo(f"id\t{workshop.id}")
    # The public page is another part of the module; until it is there, the edition page.
    endpoint = "workshops.register" if "workshops.register" in current_app.view_functions else "workshops.show"
    url = external_url(endpoint, workshop_id=workshop.id)
    click.echo(f"url\t{url}")
