"""`flask reports compliance [--from DATE] [--to DATE] [--xlsx FILE]`, `flask reports rebuild`
and `flask data archive [--before DATE]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from app.cli import CommandError
from app.errors import DomainError
from app.forms import parse_date
from app.extensions import db
from app.reports.services import HEADERS, compliance, period, table, to_xlsx

reports_cli = AppGroup("reports", help="Laporan kepatuhan SOP.")
data_cli = AppGroup("data", help="Penyimpanan data: pengarsipan menurut masa simpan.")


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


@reports_cli.command("rebuild")
def rebuild_command():
    """Recompute the compliance rollups from the steps (after an upgrade, an import or a change of APP_TIMEZONE)."""
    from app.reports.rollups import rebuild

    passes = rebuild()
    db.session.commit()
    click.echo(_("Ringkasan kepatuhan dihitung ulang dari %(n)d langkah selesai.", n=passes))


@data_cli.command("archive")
@click.option("--before", help="Hapus pesan terkirim/ditarik yang dibuat sebelum tanggal ini (YYYY-MM-DD).")
def archive_command(before):
    """Delete sent and withdrawn outbox messages older than the retention (OUTBOX_RETENTION_DAYS or --before)."""
    from app.notifications.services import archive_outbox, retention_cutoff

    try:
        cutoff = retention_cutoff(parse_date(before) if before else None)
    except DomainError as exc:
        raise CommandError(exc.message) from None
    if cutoff is None:
        click.echo(_("Masa simpan tidak diatur (OUTBOX_RETENTION_DAYS kosong): semua data disimpan."))
        return
    removed = archive_outbox(cutoff)
    db.session.commit()
    click.echo(_("%(n)d pesan kotak keluar (terkirim/ditarik) sebelum %(date)s dihapus.", n=removed, date=cutoff))
