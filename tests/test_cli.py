"""Command line: seed-demo (idempotent) and users create with its error cases."""
from __future__ import annotations

from app.auth.models import User, find_user_by_email
from app.auth.roles import BUILTIN_ROLES
from app.demo import DEMO_CASES, DEMO_NAMES
from app.extensions import db


def test_seed_demo_creates_one_user_per_role_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--password", "demo12345"])
    assert first.exit_code == 0, first.output
    for role in BUILTIN_ROLES:
        assert f"{role}@demo.test" in first.output
        assert find_user_by_email(f"{role}@demo.test").has_role(role)
    count = db.session.scalar(db.select(db.func.count(User.id)))
    second = runner.invoke(args=["seed-demo", "--password", "demo12345"])
    assert second.exit_code == 0 and "(sudah ada)" in second.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == count == len(DEMO_NAMES)
    # cases of every procedure, at different steps; a second run adds none
    from app.sop.models import Case
    from app.sop.registry import procedures

    codes = set(db.session.scalars(db.select(Case.code)))
    assert codes == set(procedures()) and db.session.scalar(db.select(db.func.count(Case.id))) == len(DEMO_CASES)
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "tidak dimuat ulang" in skipped.output


def test_users_create_with_password_from_stdin(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "Baru@Kampus.ac.id", "--name", "Baru", "--role", "counselor",
              "--role", "advisor", "--password-stdin"], input="sandirahasia\n")
    assert result.exit_code == 0, result.output
    user = find_user_by_email("baru@kampus.ac.id")
    assert user.roles == {"counselor", "advisor"}
    assert app.test_client().submit("/login", {"email": "baru@kampus.ac.id", "password": "sandirahasia"}).status_code == 302


def test_users_create_generates_and_prints_a_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "g@test.id", "--name", "G",
                                                "--role", "student"])
    assert result.exit_code == 0
    password = result.output.split("Kata sandi: ")[1].strip()
    assert app.test_client().submit("/login", {"email": "g@test.id", "password": password}).status_code == 302


def test_users_create_errors(app, make_user):
    make_user("student", email="ada@test.id")
    runner = app.test_cli_runner()
    duplicate = runner.invoke(args=["users", "create", "--email", "ADA@test.id", "--name", "X", "--role", "student"])
    assert duplicate.exit_code == 1 and "sudah terdaftar" in duplicate.output
    unknown = runner.invoke(args=["users", "create", "--email", "b@test.id", "--name", "X", "--role", "wizard"])
    assert unknown.exit_code == 1 and "Peran tidak dikenal: wizard" in unknown.output
    assert find_user_by_email("b@test.id") is None
