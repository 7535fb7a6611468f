"""`flask workshops report ID [--xlsx FILE]`: an edition's figures on standard output.

Lines (tab-separated): first `confirmed N`, `waiting N`, `attended N`, `evaluated N`; then for
each prodi `prodi CODE KEY N` and for each semester `semester S KEY N`, KEY being those four
names in that order (CODE or S is `-` for registrations without one)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from app.extensions import db
from app.workshops.cli import workshops_cli
from app.workshops.models import Workshop
from app.workshops.reports import figure_lines, figures, to_xlsx


@workshops_cli.command("report")
@click.argument("workshop_id", type=click.IntRange(min=1, max=2**31 - 1))
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path),
              help="Tulis data laporan ke berkas XLSX ini.")
def report_command(workshop_id: int, xlsx: Path | None):
    """Cetak angka workshop: terkonfirmasi, daftar tunggu, hadir, evaluasi; per prodi dan semester."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        click.echo(f"Workshop {workshop_id} tidak ditemukan.", err=True)
        sys.exit(1)
    data = figures(workshop)
    for line in figure_lines(data):
        click.echo(line)
    if xlsx is not None:
        try:
            xlsx.write_bytes(to_xlsx(data))
        except OSError as exc:
            click.echo(f"Tidak dapat menulis {xlsx}: {exc.strerror}", err=True)
            sys.exit(1)
