"""`flask seed-demo`: the demo institution and one user per built-in role (idempotent)."""
from __future__ import annotations

import click
from flask import current_app

from app.auth.models import User, find_user_by_email
from app.auth.roles import BUILTIN_ROLES
from app.auth.services import create_user
from app.extensions import db

DEMO_NAMES = {
    "admin": "Admin LPM",
    "staff": "Sri Wahyuni (TU P2KLLK)",
    "head": "Dr. Ratih Christiana, M.Pd.",
    "counselor": "Dra. Endang Lestari, M.Psi.",
    "committee": "Agus Prasetyo (Panitia)",
    "kaprodi": "Dr. Bambang Sutrisno (Kaprodi)",
    "rectorate": "Dr. Jefry Handhika (Wakil Rektor IV)",
    "advisor": "Dewi Anggraini, M.Pd. (Dosen PA)",
    "student": "Rina Kartika",
    "alumni": "Budi Santoso",
    "client": "Siti Aminah",
    "employee": "Joko Widodo Pegawai",
}


def seed_demo(password: str) -> list[tuple[str, str, bool]]:
    """Create what is missing; existing users keep their data. Returns (email, role, created)."""
    rows = []
    for role in BUILTIN_ROLES:
        email = f"{role}@demo.test"
        user = find_user_by_email(email)
        created = user is None
        if created:
            create_user(email=email, name=DEMO_NAMES[role], roles=[role], password=password,
                        phone="+62 812 0000 0000")
        elif not user.has_role(role):
            user.set_roles(user.roles | {role})
        rows.append((email, role, created))
    db.session.flush()
    return rows


@click.command("seed-demo")
@click.option("--password", default=None, help="Kata sandi akun demo (bawaan: DEMO_PASSWORD).")
@click.option("--if-empty", is_flag=True, help="Hanya bila belum ada pengguna sama sekali.")
def seed_demo_command(password, if_empty):
    """Load the demo institution and accounts (safe to run again)."""
    if if_empty and db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("Basis data sudah berisi pengguna; data demo tidak dimuat ulang.")
        return
    password = password or current_app.config["DEMO_PASSWORD"]
    rows = seed_demo(password)
    db.session.commit()
    click.echo("Akun demo (kata sandi: %s):" % password)
    for email, role, created in rows:
        click.echo(f"  {role:<10} {email}{'' if created else '  (sudah ada)'}")


