"""`flask calendar url EMAIL`: a counselor's feed address (added to the SOP engine's calendar group)."""
from __future__ import annotations

import click

from app.auth.models import find_user_by_email
from app.booking.services import feed_url, profile_for
from app.cli import CommandError
from app.extensions import db
from app.sop.cli import calendar_cli


@calendar_cli.command("url")
@click.argument("email")
def url_command(email):
    """Print the absolute URL of a counselor's calendar subscription feed."""
    user = find_user_by_email(email)
    if user is None or not user.has_role("counselor"):
        raise CommandError(f"tidak ada konselor dengan e-mail {email}")
    url = feed_url(profile_for(user))
    db.session.commit()
    click.echo(url)
