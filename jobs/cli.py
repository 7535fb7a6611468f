"""`flask jobs run`, `flask jobs tick [--now …]` and `flask serve` (development server, scheduler inside)."""
from __future__ import annotations

import contextlib
import logging
import signal
import threading
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup

from app.cli import CommandError
from app.errors import DomainError
from app.forms import parse_datetime
from jobs import scheduler

jobs_cli = AppGroup("jobs", help="Penjadwal: tenggat, pengingat, kotak keluar.")


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parse_datetime(value)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["APP_TIMEZONE"]))
    return moment.astimezone(timezone.utc)


@jobs_cli.command("run")
def run_command():
    """Run the scheduler in the foreground (the one production scheduler process) until SIGTERM
    (what systemd and honcho send) or Ctrl+C; either hands the lease over before exiting."""
    app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per run of every job
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"Penjadwal berjalan sebagai {scheduler.HOLDER}; Ctrl+C untuk berhenti.")
    with scheduler.running(app):
        stop.wait()
    click.echo("Penjadwal berhenti; lease dilepas.")


@jobs_cli.command("tick")
@click.option("--now", "now_text", help="Jalankan seolah-olah pada waktu ini (ISO 8601).")
def tick_command(now_text):
    """Run every periodic job once (deadline sweep, outbox delivery), print what it did, and
    hand the lease back."""
    app = current_app._get_current_object()
    now = _parse_now(now_text)
    for name, result in scheduler.tick(app, now).items():
        if result is None:
            click.echo(f"{name}: dilewati — penjadwal lain sedang memegang lease")
        else:
            click.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in result.items()))


@click.command("serve")
@click.option("--host", default="127.0.0.1", envvar="HOST")
@click.option("--port", default=5000, type=int, envvar="PORT")
def serve_command(host, port):
    """Serve the app on werkzeug's development server, with the scheduler inside when
    SCHEDULER_ENABLED is on (`make run` serves like production instead: scripts/run.py)."""
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    embedded = scheduler.running(app) if app.config["SCHEDULER_ENABLED"] else contextlib.nullcontext()
    with embedded:
        click.echo(f"Ruang Konseling: http://{host}:{port}")
        run_simple(host, port, app, threaded=True, use_reloader=False)
