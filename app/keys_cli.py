"""`flask keys …`: make an encryption key and re-encrypt confidential content under the newest.

Registered as a Flask plugin command (pyproject.toml, `flask.commands`), so that
`flask keys generate` works before DATA_ENCRYPTION_KEY is set, when the app itself refuses to start.
"""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cli import CommandError

keys_cli = AppGroup("keys", help="Kunci enkripsi isi rahasia (DATA_ENCRYPTION_KEY).")


@keys_cli.command("generate", with_appcontext=False)
def generate_command():
    """Print a new key for DATA_ENCRYPTION_KEY (put it first in the list when rotating)."""
    from app.crypto import generate_key

    click.echo(generate_key())


@keys_cli.command("rotate")
def rotate_command():
    """Re-encrypt every confidential value under the first DATA_ENCRYPTION_KEY; all or nothing."""
    from app.crypto import UndecryptableError, rotate_sealed
    from app.extensions import db

    try:
        count = rotate_sealed(db.session)
    except UndecryptableError as exc:
        db.session.rollback()
        raise CommandError(
            f"Tidak ada yang diubah: {exc}. Tambahkan kunci lamanya ke DATA_ENCRYPTION_KEY.") from None
    db.session.commit()
    click.echo(f"{count} nilai rahasia dienkripsi ulang dengan kunci terbaru.")
