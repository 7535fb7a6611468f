"""Units and the services they offer: people see only what their units offer to their roles, in
plain words and without internal codes; admins switch services on and off per unit and set each
unit's name, letterhead and working hours; the demo accounts belong to the units they demonstrate."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.auth.audit import AuditEvent
from app.auth.models import find_user_by_email
from app.extensions import db
from app.org.models import Unit, UnitProcedure, UserUnit
from app.sop.models import Case
from app.sop.registry import get_procedure, procedures
from app.sop.services import open_case
from tests.conftest import db_fingerprint

KARIER = {"nim": "19010001 / 2023", "prodi": "Pendidikan Matematika", "phone": "0812", "mode": "online",
          "question": "Saya bingung memilih antara guru dan data analyst"}
UNPAM = "unpam-konseling-online"
KARIER_CODE = "pgri-konseling-karier"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def visible_text(html: str) -> str:
    """What a person reads: the page without its tags (so codes inside URLs do not count)."""
    return re.sub(r"<[^>]+>", " ", html)


def codes_shown(html: str) -> list[str]:
    text = visible_text(html)
    return [code for code in procedures() if code in text]


def unit(code: str) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def unit_ids(user) -> set[str]:
    return set(db.session.scalars(sa.select(Unit.code).join(UserUnit).where(UserUnit.user_id == user.id)))


# -- what people see ------------------------------------------------------------------------
def test_an_alumnus_of_p2kllk_sees_only_the_career_service_in_plain_words(login_as):
    client, _user = login_as("alumni", units=["P2KLLK"])
    page = client.get("/procedures").get_data(as_text=True)
    assert "Layanan Konseling Karier" in page
    assert "Untuk alumni dan calon alumni" in page  # who it is for, what happens next
    assert "Ditanggapi dalam 1 jam kerja." in page  # how long, by its baku mutu
    for other in ("Praja", "PUSPAGA", "Konseling Online", "Inisiatif Sendiri", "Minat Bakat"):
        assert other not in visible_text(page), other
    assert codes_shown(page) == []
    home = client.get("/").get_data(as_text=True)
    assert "Layanan untuk Anda" in home and "Ajukan layanan" in home and "Layanan Konseling Karier" in home
    assert codes_shown(home) == []
    form = client.get(f"/cases/new/{KARIER_CODE}").get_data(as_text=True)
    assert "Pusat Pengembangan Karier" in form and codes_shown(form) == []
    assert codes_shown(client.get(f"/procedures/{KARIER_CODE}").get_data(as_text=True)) == []


def test_a_student_sees_the_services_of_their_own_unit_only(login_as):
    client, _user = login_as("student", units=["DKT"])
    page = visible_text(client.get("/procedures").get_data(as_text=True))
    assert "Layanan Konseling Online" in page
    assert "Praja" not in page and "Rujukan" not in page and "Karier" not in page
    assert client.get("/cases/new/ipdn-konseling-online-praja").status_code == 403
    assert client.get("/procedures/ipdn-bk-praja").status_code == 404
    assert client.get(f"/procedures/{UNPAM}").status_code == 200


def test_someone_in_no_unit_is_told_so_and_offered_nothing(login_as):
    client, _user = login_as("alumni", units=[])
    home = client.get("/").get_data(as_text=True)
    assert "belum terdaftar di unit layanan" in home and "Ajukan layanan" not in home
    assert client.get(f"/cases/new/{KARIER_CODE}").status_code == 403
    assert "Belum ada layanan untuk Anda" in client.get("/procedures").get_data(as_text=True)


def test_a_case_opened_through_the_form_belongs_to_the_unit_that_offers_it(login_as):
    client, user = login_as("student", units=["DKT"])
    response = client.submit(f"/online/{UNPAM}/start", {})  # asked for on the wizard
    assert response.status_code == 302
    case = db.session.scalar(sa.select(Case).where(Case.subject_id == user.id))
    assert case.unit.code == "DKT"


def test_staff_choose_the_person_among_their_units_members_only(login_as, make_user):
    client, _staff = login_as("staff", units=["PUSPAGA"])
    ours = make_user("client", name="Ibu Siti", units=["PUSPAGA"])
    theirs = make_user("client", name="Pak Joko", units=["P2KLLK"])
    page = client.get("/cases/new/puspaga-konseling").get_data(as_text=True)
    assert "Ibu Siti" in page and "Pak Joko" not in page
    before = db_fingerprint()
    refused = client.submit("/cases/new/puspaga-konseling", {"client_kind": "keluarga", "phone": "0812",
                                                             "subject_id": theirs.id})
    assert refused.status_code == 422 and "Pilih penerima layanan." in refused.get_data(as_text=True)
    assert before == db_fingerprint()
    ok = client.submit("/cases/new/puspaga-konseling", {"client_kind": "keluarga", "phone": "0812",
                                                        "subject_id": ours.id})
    assert ok.status_code == 302


@pytest.mark.parametrize("role, asks", [("counselor", False), ("head", False), ("staff", False), ("kaprodi", False),
                                        ("admin", False), ("alumni", True), ("client", True), ("student", True)])
def test_homes_show_each_role_what_they_do(login_as, role, asks):
    client, _user = login_as(role)
    home = client.get("/").get_data(as_text=True)
    assert home.count("Ajukan layanan") > 0 if asks else "Ajukan layanan" not in home
    assert codes_shown(home) == []
    if role in ("staff", "counselor"):
        assert "Catat permohonan baru" in home
    if role == "admin":
        assert "Unit layanan" in home and "Jadwal berikutnya" not in home
    if role == "counselor":
        assert "Atur ketersediaan" in home


def test_a_persons_home_lists_what_they_may_ask_for_before_what_others_open_for_them(login_as):
    """On a phone the services come one under the other: the ones the person asks for themselves
    first, those that staff or a referral open for them after; no empty schedule card before them."""
    client, _user = login_as("student")  # in every unit: both kinds
    home = client.get("/").get_data(as_text=True)
    services = home[home.index('id="home-services"'):]
    assert "Ajukan layanan" in services and "dibuka oleh petugas" in services
    assert services.rindex("Ajukan layanan") < services.index("dibuka oleh petugas")
    assert "Jadwal berikutnya" not in home  # nothing booked, not a counselor


# -- admin: units -----------------------------------------------------------------------------
def test_admin_switches_a_service_off_and_it_disappears(login_as):
    alumnus, _user = login_as("alumni", units=["P2KLLK"])
    admin, _admin = login_as("admin")
    p2kllk = unit("P2KLLK")
    assert "Layanan Konseling Karier" in admin.get(f"/admin/units/{p2kllk.id}").get_data(as_text=True)
    response = admin.submit(f"/admin/units/{p2kllk.id}/procedures/{KARIER_CODE}", {"enabled": "0"})
    assert response.status_code == 302
    assert "Layanan Konseling Karier" not in alumnus.get("/procedures").get_data(as_text=True)
    assert alumnus.get(f"/cases/new/{KARIER_CODE}").status_code == 403
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert event.action == "unit.procedure_off" and "Layanan Konseling Karier" in event.summary
    assert admin.submit(f"/admin/units/{p2kllk.id}/procedures/{KARIER_CODE}", {"enabled": "1"}).status_code == 302
    assert "Layanan Konseling Karier" in alumnus.get("/procedures").get_data(as_text=True)


def test_the_wizard_opens_a_request_only_in_a_unit_of_the_persons_offering_it(login_as, make_user):
    """A student of another unit, or of a unit whose service is switched off, cannot ask for it on
    the wizard; and no case is ever opened in no unit (it would belong to every unit)."""
    from app.errors import DomainError

    outsider, _student = login_as("student", units=["BKA"])
    before = db_fingerprint()
    for answer in (outsider.get(f"/online/{UNPAM}/start"), outsider.submit(f"/online/{UNPAM}/start", {})):
        assert answer.status_code == 403
    assert db_fingerprint() == before
    admin, _admin = login_as("admin")
    assert admin.submit(f"/admin/units/{unit('DKT').id}/procedures/{UNPAM}", {"enabled": "0"}).status_code == 302
    insider, student = login_as("student", units=["DKT"])
    before = db_fingerprint()
    assert insider.submit(f"/online/{UNPAM}/start", {}).status_code == 403
    assert db_fingerprint() == before
    with pytest.raises(DomainError, match="tidak dibuka di unit mana pun"):
        open_case(get_procedure(UNPAM), student, {})


def test_a_service_a_unit_does_not_offer_cannot_be_switched(login_as):
    admin, _admin = login_as("admin")
    puspaga = unit("PUSPAGA")
    before = db_fingerprint()
    for code in (KARIER_CODE, "tidak-ada"):
        response = admin.submit(f"/admin/units/{puspaga.id}/procedures/{code}", {"enabled": "0"})
        assert response.status_code == 422
    assert before == db_fingerprint()


def test_admin_sets_a_units_name_letterhead_and_working_hours(login_as):
    admin, _admin = login_as("admin")
    puspaga = unit("PUSPAGA")
    values = {"name": "PUSPAGA Kota Tangerang", "institution_name": "DP3AP2KB Kota Tangerang", "code": "PUSPAGA",
              "address": "Jl. Satria Sudirman No. 1", "city": "Tangerang", "phone": "(021) 5587", "email": "puspaga@tangerangkota.go.id",
              "website": "", **{f"open_{d}": "08:00" for d in range(6)}, **{f"close_{d}": "15:00" for d in range(6)}}
    response = admin.submit(f"/admin/units/{puspaga.id}", values)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Unit, puspaga.id)
    assert saved.name == "PUSPAGA Kota Tangerang" and saved.city == "Tangerang"
    assert saved.office_hours["5"] == ["08:00", "15:00"] and "6" not in saved.office_hours
    page = admin.get(f"/admin/units/{puspaga.id}").get_data(as_text=True)
    assert 'value="15:00"' in page
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "unit.update"


@pytest.mark.parametrize("change, message", [
    ({"open_0": "16:00", "close_0": "08:00"}, "Jam tutup harus sesudah jam buka."),
    ({"open_0": "08:00", "close_0": ""}, "Isi jam buka dan jam tutup, atau kosongkan keduanya."),
    ({"open_0": "jam 8"}, "Tulis jam sebagai JJ:MM"),
    ({"code": "P2KLLK"}, "Kode unit P2KLLK sudah dipakai unit lain."),
    ({"code": "<b>"}, "Kode unit: huruf, angka"),
    ({"name": ""}, "Nama unit wajib diisi."),
    ({**{f"open_{d}": "" for d in range(7)}, **{f"close_{d}": "" for d in range(7)}}, "Isi jam kerja minimal untuk satu hari."),
])
def test_bad_unit_settings_are_refused_and_change_nothing(login_as, change, message):
    admin, _admin = login_as("admin")
    puspaga = unit("PUSPAGA")
    values = {"name": puspaga.name, "institution_name": puspaga.institution_name, "code": puspaga.code,
              **{f"open_{d}": "08:00" for d in range(5)}, **{f"close_{d}": "16:00" for d in range(5)}, **change}
    before = db_fingerprint()
    response = admin.submit(f"/admin/units/{puspaga.id}", values)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert before == db_fingerprint()


def test_a_units_working_hours_set_its_cases_deadlines(login_as, make_user):
    admin, _admin = login_as("admin")
    puspaga = unit("PUSPAGA")
    saturday = {"name": puspaga.name, "institution_name": puspaga.institution_name, "code": puspaga.code,
                **{f"open_{d}": "08:00" for d in range(6)}, **{f"close_{d}": "16:00" for d in range(6)}}
    assert admin.submit(f"/admin/units/{puspaga.id}", saturday).status_code == 302
    staff, client = make_user("staff"), make_user("client")
    # Friday 15:45: 15 of the first step's 30 minutes are left for the next opening.
    case = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "keluarga", "phone": "0812"},
                     subject=client, now=at("2026-11-20T15:45+07:00"), unit=db.session.get(Unit, puspaga.id))
    assert case.steps[0].due_at == at("2026-11-21T08:15+07:00")  # PUSPAGA works on Saturday
    career = open_case(get_procedure(KARIER_CODE), make_user("alumni"), dict(KARIER), now=at("2026-11-20T15:45+07:00"))
    assert career.unit.code == "P2KLLK"
    assert career.steps[0].due_at == at("2026-11-23T08:45+07:00")  # P2KLLK does not


def test_admin_sets_a_users_units_on_the_user_form(login_as, make_user):
    admin, _admin = login_as("admin")
    person = make_user("client", name="Ibu Ani", units=[])
    page = admin.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Unit layanan" in page and "Pusat Pembelajaran Keluarga (PUSPAGA)" in page
    response = admin.submit(f"/admin/users/{person.id}", {"name": "Ibu Ani", "email": person.email, "roles": ["client"],
                                                          "active": "y", "units": [str(unit("PUSPAGA").id)]})
    assert response.status_code == 302
    assert unit_ids(person) == {"PUSPAGA"}
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.units")) is not None
    before = db_fingerprint()
    bad = admin.submit(f"/admin/users/{person.id}", {"name": "Ibu Ani", "email": person.email, "roles": ["client"],
                                                     "active": "y", "units": ["999999"]})
    assert bad.status_code == 422 and "Pilihan tidak dikenal" in bad.get_data(as_text=True)
    assert before == db_fingerprint()


def test_the_units_screen_lists_every_unit_with_its_services(login_as):
    admin, _admin = login_as("admin")
    page = admin.get("/admin/units").get_data(as_text=True)
    for name in ("Pusat Pengembangan Karier", "Divisi Konseling &amp; Training", "Unit Bimbingan Konseling Praja",
                 "Bagian Konseling &amp; Asesmen", "PUSPAGA"):
        assert name in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UnitProcedure)) == len(procedures())


def test_upgrading_an_installation_keeps_what_everyone_saw(app):
    """The first units of an installation with people already in it take them all in."""
    from app.auth.services import create_user
    from app.sop.offerings import services_for

    person = create_user(email="lama@test.id", name="Pengguna Lama", roles=["student"], password="rahasia123")
    assert db.session.scalar(sa.select(Unit.id).limit(1)) is None
    titles = {s.procedure.title for s in services_for(person)}
    assert "Layanan Konseling Online" in titles and "Administrasi Layanan Bimbingan dan Konseling Praja" in titles


# -- the demo ---------------------------------------------------------------------------------
def test_demo_accounts_belong_to_the_units_they_demonstrate(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--password", "demo12345"]).exit_code == 0
    db.session.expire_all()
    assert unit_ids(find_user_by_email("alumni@demo.test")) == {"P2KLLK"}
    assert unit_ids(find_user_by_email("client@demo.test")) == {"PUSPAGA"}
    assert unit_ids(find_user_by_email("employee@demo.test")) == {"BK-IPDN"}
    assert unit_ids(find_user_by_email("admin@demo.test")) == set()
    assert unit_ids(find_user_by_email("counselor@demo.test")) >= {"P2KLLK", "PUSPAGA", "BK-IPDN"}
    # every procedure is offered, each by its own institution's unit, and every demo case has its unit
    offers = dict(db.session.execute(sa.select(UnitProcedure.code, Unit.code).join(Unit)).all())
    assert offers[KARIER_CODE] == "P2KLLK" and offers["puspaga-konseling"] == "PUSPAGA" and len(offers) == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.unit_id.is_(None))) == 0
    assert runner.invoke(args=["seed-demo", "--password", "demo12345"]).exit_code == 0  # still idempotent


def test_a_case_letter_carries_its_units_letterhead_and_code(login_as, make_user):
    from app.documents.services import issue_letter
    from tests.test_documents import pdf_text

    admin, _admin = login_as("admin")
    puspaga = unit("PUSPAGA")
    values = {"name": "Pusat Pembelajaran Keluarga", "institution_name": "Pemerintah Kota Tangerang", "code": "PSPG",
              "city": "Tangerang", **{f"open_{d}": "08:00" for d in range(5)}, **{f"close_{d}": "16:00" for d in range(5)}}
    assert admin.submit(f"/admin/units/{puspaga.id}", values).status_code == 302
    staff, head, client = make_user("staff"), make_user("head"), make_user("client")
    case = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "keluarga", "phone": "0812"},
                     subject=client, now=at("2026-11-23T09:00+07:00"))
    letter = issue_letter("surat_tugas", head, head, case=case, now=at("2026-11-23T10:00+07:00"))
    text = pdf_text(letter.pdf)
    assert "PEMERINTAH KOTA TANGERANG" in text.upper() and "Tangerang, 23 November 2026" in text
    assert "PSPG" in letter.number


def test_a_role_counts_only_in_the_units_one_belongs_to(login_as, make_user):
    """The head and the staff of P2KLLK are not the head and staff of a PUSPAGA case: they neither
    see it (its existence stays hidden), nor find it in lists and tasks, nor act on it; those of
    PUSPAGA do."""
    case = open_case(get_procedure("puspaga-konseling"), make_user("staff", units=["PUSPAGA"]),
                     {"client_kind": "keluarga", "phone": "0812"}, subject=make_user("client", units=["PUSPAGA"]))
    db.session.commit()
    assert case.unit.code == "PUSPAGA"
    for role in ("head", "staff"):
        other, _u = login_as(role, units=["P2KLLK"])
        assert other.get(f"/cases/{case.id}").status_code == 404
        assert f"/cases/{case.id}" not in other.get("/cases").get_data(as_text=True)
        assert f"/cases/{case.id}" not in other.get("/tasks").get_data(as_text=True)
        refused = other.submit(f"/cases/{case.id}/steps/permohonan", {"appointment_at": "2026-12-01T09:00"})
        assert refused.status_code == 404
        mine, _u = login_as(role, units=["PUSPAGA"])
        assert mine.get(f"/cases/{case.id}").status_code == 200
        assert f"/cases/{case.id}" in mine.get("/cases").get_data(as_text=True)
    staff, _u = login_as("staff", units=["PUSPAGA"])
    assert f"/cases/{case.id}" in staff.get("/tasks").get_data(as_text=True)
