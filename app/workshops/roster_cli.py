"""`flask workshops import-roster FILE`: the student roster from a CSV or XLSX file."""
from __future__ import annotations

from pathlib import Path

import click

from app.cli import CommandError
from app.extensions import db
from app.workshops.cli import workshops_cli
from app.workshops.roster import MAX_BYTES, RosterUnreadable, import_roster


@workshops_cli.command("import-roster")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_roster_command(file: Path):
    """Import the roster (NIM, nama, prodi, semester, e-mail, WhatsApp); print the accepted and
    rejected counts and each rejected row with its line and reason. Exit 1 when unreadable."""
    try:
        if file.stat().st_size > MAX_BYTES:
            raise CommandError(f"{file}: berkas terlalu besar: paling besar {MAX_BYTES // (1024 * 1024)} MB.")
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"{file}: tidak dapat dibaca: {exc.strerror or exc}") from None
    try:
        report = import_roster(data, file.name)
    except RosterUnreadable as exc:
        db.session.rollback()
        raise CommandError(f"{file}: {exc.message}") from None
    db.session.commit()
    click.echo(f"accepted\t{report.accepted}")
    click.echo(f"rejected\t{len(report.rejected)}")
    for row in report.rejected:
        click.echo(f"baris {row.line}\t{row.nim}\t{row.reason}")
