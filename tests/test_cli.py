"""Command line: seed-demo (idempotent), users create, and every command refusing bad input with one
Indonesian sentence and exit 1 (never a traceback, nothing written)."""
from __future__ import annotations

from app.auth.models import User, find_user_by_email
from app.auth.roles import BUILTIN_ROLES
from app.demo import DEMO_CASES, DEMO_NAMES
from app.extensions import db
from tests.conftest import db_fingerprint


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
    # one account per demo role, and the app's own (it sent the e-konseling acknowledgement)
    assert db.session.scalar(db.select(db.func.count(User.id))) == count == len(DEMO_NAMES) + 1
    # cases of every procedure, at different steps; a second run adds none
    from app.sop.models import Case
    from app.sop.registry import procedures

    codes = set(db.session.scalars(db.select(Case.code)))
    # (the workshop edition's case, the demo advisor's referral and demo_casefiles' two PUSPAGA cases
    # are the ones beyond DEMO_CASES)
    assert codes == set(procedures()) and db.session.scalar(db.select(db.func.count(Case.id))) == len(DEMO_CASES) + 4
    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "tidak dimuat ulang" in skipped.output


def test_demo_data_looks_like_real_data(app):
    """Names, NIM, prodi and WhatsApp numbers in Indonesian formats; no placeholder words."""
    import re

    from app.sop.models import Case

    assert app.test_cli_runner().invoke(args=["seed-demo", "--password", "demo12345"]).exit_code == 0
    from app.online.acknowledge import SYSTEM_EMAIL

    users = db.session.scalars(db.select(User).where(User.email != SYSTEM_EMAIL)).all()  # people, not the app
    phones = [u.phone for u in users]
    assert all(re.fullmatch(r"\+628\d{8,11}", p) for p in phones) and len(set(phones)) == len(phones)
    alumni = find_user_by_email("alumni@demo.test")
    assert re.fullmatch(r"\d{10}", alumni.nim) and alumni.prodi.startswith("Pendidikan") and alumni.graduation_year
    for case in db.session.scalars(db.select(Case)):
        text = " ".join(str(v) for v in (case.data or {}).values())
        assert "Contoh" not in text and "contoh" not in text, (case.code, text)


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


def test_users_create_puts_the_user_in_the_named_units(app):
    from app.org.services import units_of

    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "k@test.id", "--name", "Konselor BK", "--role",
                                 "counselor", "--unit", "p2kllk", "--unit", "PUSPAGA", "--password-stdin"],
                           input="sandirahasia\n")
    assert result.exit_code == 0, result.output
    assert "Unit: P2KLLK, PUSPAGA" in result.output
    assert sorted(unit.code for unit in units_of(find_user_by_email("k@test.id"))) == ["P2KLLK", "PUSPAGA"]

    unknown = runner.invoke(args=["users", "create", "--email", "x@test.id", "--name", "X", "--role", "counselor",
                                  "--unit", "P2KLLK", "--unit", "TIDAKADA"])
    refused(unknown, "Unit tidak dikenal: TIDAKADA", "P2KLLK")
    assert find_user_by_email("x@test.id") is None  # nothing written


def refused(result, *words):
    """Refused as the command line should: exit 1, our own sentence on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output and not result.stderr.startswith("Error:"), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_calendar_due_at_the_far_ends_of_the_calendar_is_refused(app):
    runner = app.test_cli_runner()
    refused(runner.invoke(args=["calendar", "due", "9999-12-31T15:00", "1", "minggu"]), "di luar rentang")
    refused(runner.invoke(args=["calendar", "due", "0001-01-01T00:00+07:00", "30 menit"]), "di luar rentang")
    refused(runner.invoke(args=["calendar", "due", "kemarin", "1 hari"]), "tidak terbaca")


def test_sop_check_refuses_a_file_it_cannot_read(app, tmp_path):
    runner = app.test_cli_runner()
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("code: uji\ntitle: Konseling \xe9\n".encode("latin-1"))
    refused(runner.invoke(args=["sop", "check", str(latin)]), "UTF-8")
    refused(runner.invoke(args=["sop", "check", str(tmp_path)]), "folder")
    refused(runner.invoke(args=["sop", "check", str(tmp_path / "tidak-ada.yaml")]), "tidak ditemukan")
    refused(runner.invoke(args=["sop", "check", "x" * 5000]))


def test_users_create_refuses_what_the_admin_form_refuses(app):
    runner = app.test_cli_runner()
    before = db_fingerprint()
    for email, name, word in [("bukan-alamat", "Nama", "e-mail"), ("a@", "Nama", "e-mail"),
                              ("x" * 250 + "@test.id", "Nama", "E-mail"), ("ok@test.id", "", "Nama"),
                              ("ok@test.id", "   ", "Nama"), ("ok@test.id", "N" * 121, "Nama"),
                              ("ok@test.id", "<b>Nama</b>", "Nama")]:
        refused(runner.invoke(args=["users", "create", "--email", email, "--name", name, "--role", "student"]), word)
    too_long = runner.invoke(args=["users", "create", "--email", "ok@test.id", "--name", "N", "--role", "student",
                                   "--password-stdin"], input="p" * 300 + "\n")
    refused(too_long, "Kata sandi")
    assert db_fingerprint() == before


def test_seed_demo_refuses_a_short_password_and_tells_the_truth_when_seeded(app):
    runner = app.test_cli_runner()
    before = db_fingerprint()
    refused(runner.invoke(args=["seed-demo", "--password", "pendek"]), "Kata sandi")
    refused(runner.invoke(args=["seed-demo", "--password", "pendek", "--if-empty"]), "Kata sandi")
    assert db_fingerprint() == before
    assert runner.invoke(args=["seed-demo", "--password", "demo12345"]).exit_code == 0
    again = runner.invoke(args=["seed-demo", "--password", "lainlain99"])
    assert again.exit_code == 0 and "lainlain99" not in again.output and "tidak diubah" in again.output
    login = app.test_client().submit("/login", {"email": "counselor@demo.test", "password": "demo12345"})
    assert login.status_code == 302


def test_reports_compliance_refuses_a_missing_folder_and_far_dates(app, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "tidak" / "ada.xlsx"
    refused(runner.invoke(args=["reports", "compliance", "--xlsx", str(target)]), "folder tujuan tidak ada")
    refused(runner.invoke(args=["reports", "compliance", "--xlsx", str(tmp_path)]), "folder")
    assert not target.parent.exists() and list(tmp_path.iterdir()) == []
    refused(runner.invoke(args=["reports", "compliance", "--from", "0001-01-01", "--to", "9999-12-31"]), "di luar rentang")
    refused(runner.invoke(args=["reports", "compliance", "--from", "kemarin"]), "tidak valid")


def test_jobs_tick_refuses_a_garbage_or_extreme_now(app):
    runner = app.test_cli_runner()
    before = db_fingerprint()
    refused(runner.invoke(args=["jobs", "tick", "--now", "kemarin"]), "tidak terbaca")
    refused(runner.invoke(args=["jobs", "tick", "--now", "0001-01-01T00:00+07:00"]), "di luar rentang")
    refused(runner.invoke(args=["jobs", "tick", "--now", "9999-12-31T23:59"]), "di luar rentang")
    assert db_fingerprint() == before
