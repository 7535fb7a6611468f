"""The bad-input sweep: every form gets malformed, oversized, empty, wrong-type and
script-carrying values; the answer is never a 500, always a clear Indonesian error, and the
database is left exactly as it was.

Each form is one row of FORMS: where it lives, who posts it, a valid submission, and for each
field the kinds of bad value it must refuse. A new form joins by adding a row.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import db_fingerprint

LETTERS = string.ascii_letters + "ąéß漢字 "
SCRIPTS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "<svg/onload=alert(1)>",
           "javascript:alert(1)<b>"]


def empty():
    return st.sampled_from(["", "   ", "\t"])


def oversized(limit: int):
    return st.text(alphabet=LETTERS, min_size=limit + 1, max_size=limit + 300).filter(lambda s: len(s.strip()) > limit)


def script():
    return st.builds(lambda pre, tag: pre + tag, st.text(alphabet=LETTERS, max_size=10), st.sampled_from(SCRIPTS))


def control():
    return st.builds(lambda a, c, b: a + c + b, st.text(alphabet=LETTERS, min_size=1, max_size=10),
                     st.sampled_from(["\x00", "\x07", "\x1b"]), st.text(alphabet=LETTERS, max_size=10))


def not_email():
    return st.text(alphabet=LETTERS + "!#$%", min_size=1, max_size=60).filter(lambda s: "@" not in s and s.strip())


def not_phone():
    return st.text(alphabet=string.ascii_letters + "!?*", min_size=1, max_size=30).filter(lambda s: s.strip())


def short(min_len: int):
    return st.text(alphabet=string.ascii_letters, min_size=1, max_size=min_len - 1)


def unknown_choice():
    return st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=30).filter(
        lambda s: s not in {"admin", "staff", "head", "counselor", "committee", "kaprodi", "rectorate",
                            "advisor", "student", "alumni", "client", "employee"})


@dataclass
class Form:
    name: str
    path: Callable[[dict], str]
    role: str | None
    valid: dict
    bad: dict[str, list] = field(default_factory=dict)
    setup: Callable | None = None


USER_FIELDS = {
    "name": [empty(), oversized(120), script(), control()],
    "email": [empty(), oversized(254), not_email(), script()],
    "phone": [not_phone(), oversized(20), script()],
    "employee_number": [oversized(40), script()],
    "roles": [unknown_choice(), empty()],
    "password": [short(8), oversized(256)],
}

FORMS = [
    Form("login", lambda w: "/login", None, {"email": "tidakada@test.id", "password": "salahsalah"},
         {"email": [empty(), oversized(254), not_email(), script(), control()],
          "password": [empty(), oversized(256), script()]}),
    Form("admin.new_user", lambda w: "/admin/users/new", "admin",
         {"name": "Nama Baru", "email": "baru@test.id", "roles": "student", "password": "rahasia123", "active": "y"},
         USER_FIELDS),
    Form("admin.edit_user", lambda w: f"/admin/users/{w['user'].id}", "admin",
         {"name": "Nama Diubah", "email": "ubah@test.id", "roles": "alumni", "active": "y"},
         {k: v for k, v in USER_FIELDS.items() if k != "password"} | {"password": [short(8), oversized(256)]}),
]

ENGLISH_DEFAULTS = ("This field is required", "Invalid email", "Field must be", "Not a valid", "is not a valid choice")


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_bad_input_is_refused_clearly_and_changes_nothing(app, login_as, make_user, form):
    if form.role:
        client, _ = login_as(form.role)
    else:
        from app.extensions import limiter

        client = app.test_client()
    world = {"user": make_user("student", name="Sasaran Ubah", email="sasaran@test.id")}
    cases = st.sampled_from(sorted(form.bad)).flatmap(
        lambda name: st.tuples(st.just(name), st.one_of(*form.bad[name])))

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(case=cases)
    def check(case):
        name, value = case
        if not form.role:
            limiter.reset()
        before = db_fingerprint()
        data = {**form.valid, name: value}
        response = client.submit(form.path(world), data)
        body = response.get_data(as_text=True)
        assert response.status_code in (400, 422), (name, value, response.status_code)
        assert 'class="error"' in body, (name, value)
        assert not any(text in body for text in ENGLISH_DEFAULTS), (name, value)
        assert "<script>alert(1)</script>" not in body and "<svg/onload" not in body
        assert db_fingerprint() == before, (name, value)

    check()
