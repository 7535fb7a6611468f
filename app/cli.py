"""Registers every domain's commands on the `flask` command line."""
from __future__ import annotations

import click


class CommandError(click.ClickException):
    """A command refused its input: the message alone on stderr (no English "Error:" prefix), exit 1."""

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def register(app) -> None:
    from app.admin.cli import users_cli
    from app.demo import seed_demo_command
    from app.reports.cli import data_cli, reports_cli
    from app.booking import cli as _booking_cli  # noqa: F401 - adds `calendar url`
    from app.sop.cli import calendar_cli, sop_cli
    from app.workshops.cli import workshops_cli
    from jobs.cli import jobs_cli, serve_command

    for command in (users_cli, seed_demo_command, sop_cli, calendar_cli, jobs_cli, serve_command, reports_cli,
                    data_cli, workshops_cli):
        app.cli.add_command(command)
