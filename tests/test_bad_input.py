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
    """Longer than `limit` once stripped: a short random text repeated past the limit."""
    return st.builds(lambda piece, extra: (piece * (limit // len(piece) + 2))[: limit + 1 + extra].strip() + "x" * 2,
                     st.text(alphabet=string.ascii_letters + "ąéß漢字", min_size=1, max_size=40),
                     st.integers(min_value=0, max_value=300))


def script():
    return st.builds(lambda pre, tag: pre + tag, st.text(alphabet=LETTERS, max_size=10), st.sampled_from(SCRIPTS))


def control():
    return st.builds(lambda a, c, b: a + c + b, st.text(alphabet=LETTERS, min_size=1, max_size=10),
                     st.sampled_from(["\x00", "\x07", "\x1b"]), st.text(alphabet=LETTERS, max_size=10))


def not_email():
    return st.text(alphabet=LETTERS + "!#$%", min_size=1, max_size=60).filter(lambda s: "@" not in s and s.strip())


def broken_template():
    return st.sampled_from(["{{ person ", "{% if person %}tanpa akhir", "{{ person }", "{% for %}", "{{ 1 + }}"])


def runaway_template():
    """Templates that reach for other files or hosts, or grow without bound (the slow loops are in
    tests/test_documents_security.py: each costs the render deadline)."""
    return st.sampled_from(["{% include 'base.html' %}", "{% extends 'base.html' %}", "{% import 'x' as y %}",
                            "{{ 'x' * 10**9 }}", "{{ 7 ** 999999 }}", "{{ 'x'|center(10**9) }}",
                            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
                            '<a rel="attachment" href="file:///etc/passwd">a</a>',
                            '<style>@import url("http://127.0.0.1:9/x.css");</style>'])


def unknown_placeholder():
    return st.from_regex(r"[a-z]{3,12}", fullmatch=True).map(lambda name: "<p>{{ zz_" + name + " }}</p>")


def no_seq():
    return st.text(alphabet=string.ascii_uppercase + "/-", min_size=1, max_size=40).filter(lambda s: s.strip())


def unknown_number_field():
    return st.from_regex(r"[a-z]{3,10}", fullmatch=True).filter(
        lambda n: n not in {"seq", "year", "month", "unit"}).map(lambda n: "{seq}/{" + n + "}")


def not_time():
    return st.one_of(st.text(alphabet=LETTERS + ":", min_size=1, max_size=10), st.just("25:61"))


def not_url():
    return st.text(alphabet=LETTERS + ":/", min_size=1, max_size=40).filter(lambda s: s.strip() and "://" not in s)


def case_for_booking(me, make_user, booked=False):
    """`me` (an alumnus) with an assigned career case; booked when asked."""
    from datetime import date, time, timedelta

    from app.booking.models import Availability, Mode
    from app.booking.services import book, free_slots
    from app.extensions import db
    from app.sop.models import Case

    world = karier_case(me, make_user)
    case = db.session.get(Case, world["case"])
    counselor = make_user("counselor")
    for weekday in range(7):
        db.session.add(Availability(counselor_id=counselor.id, weekday=weekday, start_time=time(0), end_time=time(23),
                                    mode=Mode.IN_PERSON, room="R1"))
    case.subject, case.assignee = me, counselor
    db.session.commit()
    if booked:
        slot = free_slots(counselor, date.today() + timedelta(days=2), 7)[0]
        world["appointment"] = book(case, me, slot.start).id
        db.session.commit()
    return world


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
    prepare: Callable | None = None  # (me, make_user) -> world, for forms that need records


def not_datetime():
    return st.one_of(st.text(alphabet=LETTERS + "-:/", min_size=1, max_size=30), st.just("2026-13-45T25:61"))


def not_date():
    return st.one_of(st.text(alphabet=LETTERS + "-/", min_size=1, max_size=20), st.just("2026-02-30"))


KARIER = {"nim": "1901", "prodi": "Pendidikan Matematika", "phone": "0812", "question": "Pertanyaan",
          "mode": "online"}


def karier_case(me, make_user, steps=()):
    """A career-counseling case; `steps` are completed by `me` (who must be allowed)."""
    from app.extensions import db
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case

    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER))
    for key, values in steps:
        complete_step(case, key, me, values)
    db.session.commit()
    return {"case": case.id}


def karier_at_agreement(me, make_user):
    head, staff = make_user("head"), make_user("staff")
    world = karier_case(staff, make_user, [("izin_tu", {}), ("form_permohonan", {"complete": "lengkap"})])
    from app.extensions import db
    from app.sop.models import Case
    from app.sop.services import complete_step

    case = db.session.get(Case, world["case"])
    complete_step(case, "rekomendasi", head, {"counselor": str(me.id)})
    db.session.commit()
    return world


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
    Form("sop.new_case", lambda w: "/cases/new/pgri-konseling-karier", "alumni", dict(KARIER),
         {"nim": [empty(), oversized(40), script(), control()], "prodi": [empty(), oversized(120), script()],
          "question": [empty(), oversized(4000)], "mode": [empty(), unknown_choice()]}),
    Form("sop.step_form (pilihan)", lambda w: f"/cases/{w['case']}/steps/form_permohonan", "staff",
         {"complete": "lengkap"}, {"complete": [empty(), unknown_choice(), script()]},
         prepare=lambda me, make_user: karier_case(me, make_user, [("izin_tu", {})])),
    Form("sop.step_form (waktu)", lambda w: f"/cases/{w['case']}/steps/kesepakatan", "counselor",
         {"agreed_at": "2026-11-25T10:00", "place": "Ruang 1"},
         {"agreed_at": [empty(), not_datetime()], "place": [empty(), oversized(300), script()]},
         prepare=karier_at_agreement),
    Form("sop.calendar_settings", lambda w: "/admin/calendar", "admin",
         {"day": "2026-12-31", "open": "closed", "reason": "Libur akhir tahun"},
         {"day": [empty(), not_date()], "open": [unknown_choice()], "reason": [empty(), oversized(200), script()]}),
    Form("documents.edit_template", lambda w: "/admin/letters/surat_tugas", "admin",
         {"body": "<p>{{ person }}</p>", "number_format": "{seq:03d}/ST/{year}", "action": "save"},
         {"body": [empty(), oversized(20000), broken_template(), unknown_placeholder(), runaway_template()],
          "number_format": [empty(), oversized(120), no_seq(), unknown_number_field()]}),
    Form("documents.letterhead", lambda w: "/admin/letterhead", "admin",
         {"name": "Universitas Contoh", "unit": "Pusat Karier", "unit_code": "PK"},
         {"name": [empty(), oversized(200), script()], "unit_code": [empty(), oversized(30), script()],
          "email": [not_email(), script()]}),
    Form("documents.issue", lambda w: f"/cases/{w['case']}/letters/surat_rekomendasi", "head", {"recipient": ""},
         {"recipient": [oversized(200), script(), control()]},
         prepare=lambda me, make_user: karier_case(make_user("staff"), make_user,
                                                   [("izin_tu", {}), ("form_permohonan", {"complete": "lengkap"})])),
    Form("booking.add_availability", lambda w: "/booking/availability", "counselor",
         {"weekday": "0", "start_time": "09:00", "end_time": "12:00", "session_minutes": "60", "buffer_minutes": "15",
          "mode": "online", "meeting_url": "https://meet.example/abc"},
         {"weekday": [empty(), unknown_choice()], "start_time": [empty(), not_time()], "end_time": [not_time(), st.just("08:00")],
          "session_minutes": [empty(), not_phone(), st.sampled_from(["0", "-5", "999999"])],
          "mode": [empty(), unknown_choice()], "meeting_url": [empty(), not_url(), oversized(500)]}),
    Form("booking.add_leave", lambda w: "/booking/leave", "counselor", {"day": "2026-12-31", "reason": "Cuti"},
         {"day": [empty(), not_date()], "reason": [empty(), oversized(200), script()]}),
    Form("booking.save_rules", lambda w: "/booking/rules", "counselor", {"min_notice_hours": "12", "horizon_days": "30"},
         {"min_notice_hours": [empty(), not_phone(), st.sampled_from(["-1", "100000"])],
          "horizon_days": [empty(), st.sampled_from(["0", "366", "1e9"])]}),
    Form("booking.book_slot", lambda w: f"/cases/{w['case']}/booking", "alumni", {"start": "2026-11-24T09:00+07:00"},
         {"start": [empty(), not_datetime(), st.just("2020-01-01T09:00+07:00")]}, prepare=lambda me, mu: case_for_booking(me, mu)),
    Form("booking.cancel_appointment", lambda w: f"/appointments/{w['appointment']}/cancel", "alumni",
         {"reason": "Sakit"}, {"reason": [empty(), oversized(500)]},
         prepare=lambda me, mu: case_for_booking(me, mu, booked=True)),
    Form("notifications.preferences", lambda w: "/account/notifications", "student",
         {"notify_email": "y", "notify_whatsapp": "y", "phone": "+62 812 1"},
         {"phone": [empty(), not_phone(), oversized(20), script()]}),
]

ENGLISH_DEFAULTS = ("This field is required", "Invalid email", "Field must be", "Not a valid", "is not a valid choice")


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_bad_input_is_refused_clearly_and_changes_nothing(app, login_as, make_user, form):
    from app.extensions import limiter

    if form.role:
        client, me = login_as(form.role)
    else:
        client, me = app.test_client(), None
    if form.prepare:
        world = form.prepare(me, make_user)
    else:
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
