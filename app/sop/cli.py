"""`flask sop list|check` and `flask calendar due` (other domains add to the `calendar` group)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import CommandError
from app.errors import DomainError
from app.forms import parse_datetime
from app.sop.definitions import DefinitionError, parse_file
from app.sop.durations import DurationError, parse_duration
from app.sop.registry import procedures

sop_cli = AppGroup("sop", help="Definisi prosedur (SOP).")
calendar_cli = AppGroup("calendar", help="Kalender kerja dan kalender konselor.")


@sop_cli.command("list")
def list_command():
    """One line per loaded procedure: code<TAB>steps<TAB>title."""
    for code, procedure in procedures().items():
        click.echo(f"{code}\t{len(procedure.steps)}\t{procedure.title}")


@sop_cli.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check_command(file: Path):
    """Validate a procedure definition file: exit 0 when valid, else 1 with every error."""
    try:
        procedure = parse_file(file)
    except FileNotFoundError:
        raise CommandError(f"{file}: " + _("berkas tidak ditemukan.")) from None
    except IsADirectoryError:
        raise CommandError(f"{file}: " + _("ini folder, bukan berkas.")) from None
    except UnicodeDecodeError:
        raise CommandError(f"{file}: " + _("bukan teks UTF-8; simpan ulang berkas sebagai UTF-8.")) from None
    except OSError as exc:
        raise CommandError(f"{file}: " + _("berkas tidak dapat dibaca (%(reason)s).", reason=exc.strerror)) from None
    except DefinitionError as exc:
        for error in exc.errors:
            click.echo(error, err=True)
        click.echo(f"{len(exc.errors)} kesalahan.", err=True)
        raise SystemExit(1) from None
    click.echo(f"{file}: valid — {procedure.code}, {len(procedure.steps)} langkah")


@calendar_cli.command("due")
@click.argument("start")
@click.argument("duration", nargs=-1, required=True)
@click.option("--wall-clock", is_flag=True, help="Hitung waktu jam dinding, bukan jam kerja.")
def due_command(start, duration, wall_clock):
    """When a step that becomes active at START with standard time DURATION is due."""
    from app.sop.workcal import working_calendar

    calendar = working_calendar()
    try:
        moment = parse_datetime(start)
        parsed = parse_duration(" ".join(duration), wall_clock)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    except DurationError as exc:
        raise CommandError(str(exc)) from None
    click.echo(calendar.local(calendar.due(moment, parsed)).isoformat())
