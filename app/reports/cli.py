"""`flask reports compliance [--from DATE] [--to DATE] [--xlsx FILE]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import CommandError
from app.errors import DomainError
from app.forms import parse_date
from app.reports.services import HEADERS, compliance, period, table, to_xlsx

reports_cli = AppGroup("reports", help="Laporan kepatuhan SOP.")


@reports_cli.command("compliance")
@click.option("--from", "start", help="Tanggal awal (YYYY-MM-DD).")
@click.option("--to", "end", help="Tanggal akhir (YYYY-MM-DD).")
@click.option("--xlsx", "xlsx", type=click.Path(path_type=Path), help="Tulis juga ke berkas XLSX.")
def compliance_command(start, end, xlsx):
    """Print, per procedure and step: done, within the standard time, median and P90, late now."""
    try:
        start, end = period(parse_date(start) if start else None, parse_date(end) if end else None)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    report = compliance(start, end)
    if xlsx:
        try:
            xlsx.write_bytes(to_xlsx(report))
        except FileNotFoundError:
            raise CommandError(f"{xlsx}: " + _("folder tujuan tidak ada.")) from None
        except IsADirectoryError:
            raise CommandError(f"{xlsx}: " + _("ini folder; tulis nama berkas, mis. laporan.xlsx.")) from None
        except OSError as exc:
            raise CommandError(f"{xlsx}: " + _("berkas tidak dapat ditulis (%(reason)s).", reason=exc.strerror)) from None
    click.echo(f"# Kepatuhan SOP {start} s.d. {end}")
    click.echo("\t".join(HEADERS))
    for row in table(report):
        click.echo("\t".join("" if v is None else str(v) for v in row))
    if xlsx:
        click.echo(f"Ditulis: {xlsx}")
