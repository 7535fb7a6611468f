"""Registers every domain's commands on the `flask` command line."""
from __future__ import annotations


def register(app) -> None:
    from app.auth.cli import users_cli
    from app.demo import seed_demo_command

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
