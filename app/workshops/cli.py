"""`flask workshops …`: create an edition, import the student roster, print an edition's figures.
Each command lives beside the services it calls and joins this group."""
from __future__ import annotations

from flask.cli import AppGroup

workshops_cli = AppGroup("workshops", help="Workshop minat bakat: edisi, roster mahasiswa, laporan.")

from app.workshops import roster_cli  # noqa: E402,F401
from app.workshops import edition_cli  # noqa: E402,F401
from app.workshops import report_cli  # noqa: E402,F401
