"""What a page costs (issue 15), checked where it can be checked without a clock: the main pages
of the demo's people run at most five SQL statements and write nothing; a list's statement is
built once for everyone with the same roles and still shows each person only their own; the
login form is rendered once per language yet carries each visitor's own CSRF token. How the
app's PostgreSQL connections are used is checked in test_connections.py; the speed itself is
measured in bench/pages.py."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from tests.conftest import Client, require_postgres

PASSWORD = "demo12345"
STATEMENT_LIMIT = 5


@pytest.fixture(scope="module")
def demo(shared_rollback):
    from app.demo import seed_demo

    seed_demo(PASSWORD)
    db.session.commit()


def _signed_in(app, email: str) -> Client:
    client = app.test_client()
    answer = client.submit("/login", {"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.status_code
    return client


def _slot_page() -> str:
    """The demo alumnus's case with a counselor and no session yet (as bench/pages.py takes it)."""
    from app.auth.models import User
    from app.booking.models import Appointment
    from app.sop.models import Case, CaseState

    case_id = db.session.scalar(db.select(Case.id).join(User, User.id == Case.subject_id).where(
        User.email == "alumni@demo.test", Case.assignee_id.is_not(None), Case.state == CaseState.OPEN,
        Case.id.not_in(db.select(Appointment.case_id).where(Appointment.case_id.is_not(None))))
        .order_by(Case.id).limit(1))
    return f"/cases/{case_id}/booking"


@pytest.mark.parametrize("role, path", [
    ("alumni", "/"), ("alumni", "slot page"), ("alumni", "/tasks"), ("alumni", "/cases"),
    ("counselor", "/"), ("counselor", "/tasks"), ("counselor", "/cases"),
    ("staff", "/"), ("staff", "/tasks"), ("staff", "/cases"),
    ("head", "/"), ("head", "/cases"), ("student", "/"), ("advisor", "/"),
])
def test_the_main_pages_run_at_most_five_statements_and_write_nothing(demo, app, sql, monkeypatch, role, path):
    monkeypatch.setitem(app.config, "CACHE_RELOAD_SECONDS", 5)  # the production default (tests: 0)
    client = _signed_in(app, f"{role}@demo.test")
    url = _slot_page() if path == "slot page" else path
    assert client.get(url).status_code == 200  # the first visit may fill what the process keeps
    with sql() as ran:
        answer = client.get(url)
    assert answer.status_code == 200
    assert len(ran) <= STATEMENT_LIMIT, "\n\n".join(ran)
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in ran), ran
    assert ran.commits <= 1  # what it read, ended (app/__init__.py: _end_reading)


def test_a_list_statement_is_built_once_per_role_set_and_binds_each_user(app, make_user):
    """Staff of two different units share one built "Tugas saya" statement; each still sees only
    the steps of their own unit's cases."""
    from app.org.models import Unit
    from app.sop import access
    from app.sop.offerings import sync_offerings
    from app.sop.registry import get_procedure
    from app.sop.services import my_tasks, open_case

    sync_offerings()
    home = db.session.scalar(db.select(Unit).where(Unit.code == "P2KLLK"))
    other = Unit(institution_id=home.institution_id, code="UNIT-B", name="Unit B", institution_name="X",
                 office_hours={})
    db.session.add(other)
    db.session.commit()
    ours = make_user("staff", email="staf.a@biaya.id", units=["P2KLLK"])
    theirs = make_user("staff", email="staf.b@biaya.id", units=["UNIT-B"])
    alumnus = make_user("alumni", email="alumni.biaya@biaya.id", units=["P2KLLK"])
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus,
                     {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}, unit=home)
    db.session.commit()

    access._SHAPES.clear()
    seen_by_ours = {row.case_id for row in my_tasks(ours)}
    built = len(access._SHAPES)
    seen_by_theirs = {row.case_id for row in my_tasks(theirs)}
    assert len(access._SHAPES) == built == 1  # one statement for both
    assert case.id in seen_by_ours
    assert case.id not in seen_by_theirs


def test_a_task_list_judges_each_case_by_its_own_team(app, make_user):
    """The conditions on a case's team sit inside the statement's subqueries: each must look at
    the case of its own row (a counselor who took one request does not hide another unserved one
    from the unit's other counselors)."""
    from app.sop.access import claim
    from app.sop.registry import get_procedure
    from app.sop.services import my_tasks, open_case, skip_to

    staff, first, second = make_user("staff"), make_user("counselor"), make_user("counselor")
    served, waiting = (open_case(get_procedure("puspaga-konseling"), staff,
                                 {"client_kind": "orang tua", "phone": "0812"}, subject=make_user("client"))
                       for _ in range(2))
    for case in (served, waiting):
        skip_to(case, "kelengkapan")
    claim(served, first, served.step_row("kelengkapan"))
    db.session.commit()
    assert {served.id, waiting.id} <= {row.case_id for row in my_tasks(first)}
    seen_by_second = {row.case_id for row in my_tasks(second)}
    assert waiting.id in seen_by_second and served.id not in seen_by_second


def test_the_navigation_is_rendered_once_per_role_set_page_and_language(app, login_as):
    alumnus, _ = login_as("alumni")
    another, _ = login_as("alumni")
    admin, _ = login_as("admin")
    app.extensions.pop("navigation", None)
    first = alumnus.get("/tasks").get_data(as_text=True)
    second = another.get("/tasks").get_data(as_text=True)
    assert len(app.extensions["navigation"]) == 1  # one rendering for both alumni
    nav = re.compile(r'<nav aria-label="Navigasi utama">.*?</nav>', re.S)
    assert nav.search(first).group(0) == nav.search(second).group(0)
    assert 'href="/tasks" aria-current="page"' in nav.search(first).group(0)
    # other roles, another page: their own navigation, marked where they are
    managing = nav.search(admin.get("/admin/users").get_data(as_text=True)).group(0)
    assert "Pengguna" in managing and "Pengguna" not in nav.search(first).group(0)
    assert 'href="/admin/users" aria-current="page"' in managing
    assert 'aria-current="page"' not in nav.search(alumnus.get("/").get_data(as_text=True)).group(0).split(
        'href="/tasks"')[1].split("</li>")[0]


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_login_form_is_rendered_once_and_carries_each_visitors_own_token(app, make_user):
    make_user("alumni", email="tamu@biaya.id")
    first, second = app.test_client(), app.test_client()
    first_token = _token(first.get("/login").get_data(as_text=True))
    second_page = second.get("/login").get_data(as_text=True)
    second_token = _token(second_page)
    assert first_token != second_token
    assert second_page.count(second_token) == 3  # the form, the language switch and htmx's header
    assert "csrf-token-of-this-session" not in second_page
    kept = app.extensions["public_pages"]
    assert len(kept) == 1
    # another visitor's token is refused; one's own signs in
    refused = second.post("/login", data={"email": "tamu@biaya.id", "password": "rahasia123",
                                          "csrf_token": first_token})
    assert refused.status_code == 400
    signed_in = second.post("/login", data={"email": "tamu@biaya.id", "password": "rahasia123",
                                            "csrf_token": second_token})
    assert signed_in.status_code == 302


def test_a_client_made_mount_point_or_htmx_header_never_reaches_another_visitors_login_page(app):
    """A SCRIPT_NAME a client sends (gunicorn takes it from loopback) changes that request's links
    only; made-up HX-Request values do not each keep a page (attacker findings)."""
    app.extensions.pop("public_pages", None)
    elsewhere = app.test_client().get("/login", base_url="http://localhost/evil/")
    assert 'action="/evil/login"' in elsewhere.get_data(as_text=True)
    page = app.test_client().get("/login")
    body = page.get_data(as_text=True)
    assert "/evil" not in body and 'action="/login"' in body
    assert page.headers["Cache-Control"] == "private, no-store"
    for value in ("1", "yes", "x" * 50, "true"):
        app.test_client().get("/login", headers={"HX-Request": value})
    assert len(app.extensions["public_pages"]) <= 3  # plain, /evil, htmx


def test_the_login_form_shows_what_a_visitor_must_see_and_speaks_their_language(app, make_user):
    client = app.test_client()
    english = client.submit("/language", {"lang": "en", "next": "/login"})
    assert english.status_code == 302
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    assert "Masuk ke Ruang Konseling" in app.test_client().get("/login").get_data(as_text=True)
    # a message waiting for the visitor (after signing out) is shown, not the kept page
    make_user("alumni", email="keluar@biaya.id")
    visitor = app.test_client()
    visitor.submit("/login", {"email": "keluar@biaya.id", "password": "rahasia123"})
    visitor.submit("/logout")
    assert "Anda sudah keluar" in visitor.get("/login").get_data(as_text=True)
    # where to go after signing in stays in the form
    page = app.test_client().get("/login?next=/tasks").get_data(as_text=True)
    assert "next=%2Ftasks" in page or "next=/tasks" in page
