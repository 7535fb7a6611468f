"""`flask reports compliance [--from DATE] [--to DATE] [--xlsx FILE]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.errors import DomainError
from app.reports.services import HEADERS, compliance, period, table, to_xlsx

reports_cli = AppGroup("reports", help="Laporan kepatuhan SOP.")


@reports_cli.command("compliance")
@click.option("--from", "start", type=click.DateTime(formats=["%Y-%m-%d"]), help="Tanggal awal (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(formats=["%Y-%m-%d"]), help="Tanggal akhir (YYYY-MM-DD).")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Tulis juga ke berkas XLSX.")
def compliance_command(start, end, xlsx):
    """Print, per procedure and step: done, within the standard time, median and P90, late now."""
    try:
        start, end = period(start.date() if start else None, end.date() if end else None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    report = compliance(start, end)
    click.echo(f"# Kepatuhan SOP {start} s.d. {end}")
    click.echo("\t".join(HEADERS))
    for row in table(report):
        click.echo("\t".join("" if v is None else str(v) for v in row))
    if xlsx:
        xlsx.write_bytes(to_xlsx(report))
        click.echo(f"Ditulis: {xlsx}")
