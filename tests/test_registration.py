"""Pendaftaran mandiri: people register in the roles the installation allows, confirm their address
by an e-mailed link (expires, works once, needs the password chosen at registration), fill their
profile once and find it in every request form; staff register walk-in clients. Nothing says
whether an address has an account."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from app.auth.models import User
from app.database import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import deliver_due

PASSWORD = "kata-sandi-ku-1"


def _register(client, email="baru@test.id", role="alumni", password=PASSWORD, name="Alumni Baru", **kwargs):
    return client.submit("/register", {"name": name, "email": email, "role": role, "password": password,
                                       "confirm": password}, **kwargs)


def _mail(smtp_server, address, subject="Konfirmasi pendaftaran Ruang Konseling"):
    deliver_due()
    messages = [m for m in smtp_server.to(address) if m["Subject"] == subject]
    assert messages, [m["Subject"] for m in smtp_server.to(address)]
    return messages[-1]


def _link(message, path="/register/confirm/") -> str:
    return re.search(r"http://localhost(%s\S+)" % re.escape(path), message.get_content()).group(1)


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(db.select(User).where(User.email == email))


def _login(app, email, password=PASSWORD):
    client = app.test_client()
    return client, client.submit("/login", {"email": email, "password": password})


def test_login_page_links_to_registration(client):
    assert 'href="/register"' in client.get("/login").get_data(as_text=True)


def test_register_confirm_then_sign_in(app, client, smtp_server):
    page = client.get("/register").get_data(as_text=True)
    offered = re.findall(r'<option[^>]*value="([a-z]+)"', page)
    assert offered == ["alumni", "student", "client"]

    response = _register(client, email="Alumni.Baru@Test.id")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    user = _user("alumni.baru@test.id")
    assert user is not None and user.roles == {"alumni"} and user.email_confirmed_at is None

    # Before confirming: the right password meets a clear message with a way to a new link.
    _, refused = _login(app, "alumni.baru@test.id")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "belum dikonfirmasi" in body and 'href="/register/resend"' in body

    link = _link(_mail(smtp_server, "alumni.baru@test.id"))
    form = client.get(link)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    wrong = client.submit(link, {"password": "bukan-sandinya"})
    assert wrong.status_code == 422 and "Kata sandi tidak cocok" in wrong.get_data(as_text=True)
    assert _user("alumni.baru@test.id").email_confirmed_at is None

    done = client.submit(link, {"password": PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/account/profile"
    assert client.get("/account/profile").status_code == 200  # signed in by confirming
    assert _user("alumni.baru@test.id").email_confirmed_at is not None
    _, ok = _login(app, "alumni.baru@test.id")
    assert ok.status_code == 302

    used = client.get(link)
    text = used.get_data(as_text=True)
    assert used.status_code == 410 and "Tautan konfirmasi tidak berlaku lagi" in text
    assert 'href="/register/resend"' in text
    assert client.submit(link, {"password": PASSWORD}).status_code == 410


def test_confirmation_link_expires_and_a_new_one_can_be_asked_for(app, client, smtp_server):
    _register(client, email="lambat@test.id")
    old = _link(_mail(smtp_server, "lambat@test.id"))
    later = utcnow() + timedelta(hours=25)
    with time_machine.travel(later, tick=False):
        client = app.test_client()  # the next day: a new session
        expired = client.get(old)
        assert expired.status_code == 410 and 'href="/register/resend"' in expired.get_data(as_text=True)
        asked = client.submit("/register/resend", {"email": "lambat@test.id"})
        assert asked.status_code == 303
        new = _link(_mail(smtp_server, "lambat@test.id"))
        assert new != old
        assert client.submit(new, {"password": PASSWORD}).status_code == 303
    assert _user("lambat@test.id").email_confirmed


def test_a_newer_link_spends_the_older_one(app, client, smtp_server):
    _register(client, email="dua@test.id")
    client.submit("/register/resend", {"email": "dua@test.id"})
    deliver_due()
    first, second = (_link(m) for m in smtp_server.to("dua@test.id"))
    assert client.submit(second, {"password": PASSWORD}).status_code == 303
    assert app.test_client().get(first).status_code == 410


@pytest.mark.parametrize("role", ["admin", "counselor", "head", "staff", "committee", "kasubbag", "", "alumni,admin"])
def test_a_role_not_allowed_cannot_be_registered(client, role):
    response = _register(client, email="penyusup@test.id", role=role)
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    assert _user("penyusup@test.id") is None
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0


def test_the_setting_chooses_the_roles_but_never_a_staff_role(app, client):
    app.config["SELF_REGISTER_ROLES"] = "client, admin,counselor"
    try:
        page = client.get("/register").get_data(as_text=True)
        assert re.findall(r'<option[^>]*value="([a-z]+)"', page) == ["client"]
        assert _register(client, email="a@test.id", role="admin").status_code == 422
        assert _register(client, email="b@test.id", role="alumni").status_code == 422
        assert _register(client, email="c@test.id", role="client").status_code == 303
        app.config["SELF_REGISTER_ROLES"] = ""
        closed = client.get("/register").get_data(as_text=True)
        assert "Pendaftaran mandiri tidak dibuka" in closed and "<select" not in closed
        assert _register(client, email="d@test.id", role="client").status_code == 422
    finally:
        app.config["SELF_REGISTER_ROLES"] = "alumni,student,client"
    assert [u.email for u in db.session.scalars(db.select(User))] == ["c@test.id"]


def test_same_answer_whether_or_not_the_address_has_an_account(app, make_user, smtp_server):
    make_user("alumni", email="ada@test.id", name="Pemilik Asli")
    make_user("student", email="mati@test.id", active=False)
    answers = []
    for email in ("ada@test.id", "baru@test.id", "mati@test.id"):
        client = app.test_client()
        response = _register(client, email=email, name="Orang Lain")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"],
                        re.search(r"Kami sudah mengirim e-mail[^<]*", page).group(0)))
    assert answers[0] == answers[1] == answers[2]
    owner = _user("ada@test.id")
    assert owner.name == "Pemilik Asli" and _login(app, "ada@test.id", "rahasia123")[1].status_code == 302
    # The owner (and only the owner) hears of it, at their own address.
    notice = _mail(smtp_server, "ada@test.id", "Alamat e-mail Anda sudah terdaftar di Ruang Konseling")
    assert "http://localhost/password/forgot" in notice.get_content()
    assert smtp_server.to("mati@test.id") == []


def test_registering_someone_elses_address_first_gains_nothing(app, smtp_server):
    """An attacker registers the victim's address with their own password; the victim's own
    registration changes nothing, the link needs the attacker's password, and the victim takes
    the account over by "lupa kata sandi" (which also confirms it)."""
    _register(app.test_client(), email="korban@test.id", password="sandi-penyerang", name="Penyerang")
    victim = app.test_client()
    _register(victim, email="korban@test.id", password=PASSWORD, name="Korban")
    link = _link(_mail(smtp_server, "korban@test.id"))
    assert victim.submit(link, {"password": PASSWORD}).status_code == 422
    assert _login(app, "korban@test.id", "sandi-penyerang")[1].status_code == 403  # never confirmed
    victim.submit("/password/forgot", {"email": "korban@test.id"})
    reset = _link(_mail(smtp_server, "korban@test.id", "Atur ulang kata sandi Ruang Konseling"), "/password/reset/")
    assert victim.submit(reset, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 302
    assert _login(app, "korban@test.id", PASSWORD)[1].status_code == 302
    assert _login(app, "korban@test.id", "sandi-penyerang")[1].status_code == 422


def test_password_rules_are_those_of_everywhere_else(client):
    short = _register(client, email="pendek@test.id", password="pendek")
    assert short.status_code == 422 and "Kata sandi 8–256 karakter." in short.get_data(as_text=True)
    mismatch = client.submit("/register", {"name": "X", "email": "beda@test.id", "role": "client",
                                           "password": PASSWORD, "confirm": PASSWORD + "x"})
    assert mismatch.status_code == 422 and "Kedua kata sandi tidak sama." in mismatch.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_registration_is_rate_limited_per_address_and_per_e_mail(app):
    statuses = [_register(app.test_client(), email=f"orang{n}@test.id").status_code for n in range(6)]
    assert statuses == [303] * 5 + [429]
    per_email = [_register(app.test_client(), email="sama@test.id", environ_base={"REMOTE_ADDR": f"10.8.0.{n}"})
                 .status_code for n in range(4)]
    assert per_email == [303, 303, 303, 429]
    resend = [app.test_client().submit("/register/resend", {"email": "sama@test.id"},
                                       environ_base={"REMOTE_ADDR": f"10.7.0.{n}"}).status_code for n in range(4)]
    assert resend == [303, 303, 303, 429]


def test_resend_says_the_same_for_every_address(app, make_user):
    make_user("alumni", email="sudah@test.id")
    _register(app.test_client(), email="belum@test.id")
    db.session.execute(db.delete(OutboxMessage))
    db.session.commit()
    answers = []
    for email in ("sudah@test.id", "belum@test.id", "tidak-ada@test.id"):
        client = app.test_client()
        response = client.submit("/register/resend", {"email": email})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, re.search(r"Jika alamat itu terdaftar[^<]*", page).group(0)))
    assert answers[0] == answers[1] == answers[2]
    assert [m.recipient for m in db.session.scalars(db.select(OutboxMessage))] == ["belum@test.id"]


# -- the profile and the request forms -------------------------------------------------------
@pytest.mark.parametrize("typed, stored", [
    ("0812-3456-7890", "+6281234567890"), ("+62 812 3456 789", "+628123456789"), ("6281234567890", "+6281234567890"),
    ("(0857) 1234 5678", "+6285712345678"), ("", None)])
def test_whatsapp_numbers_are_normalised(login_as, typed, stored):
    client, me = login_as("alumni")
    response = client.submit("/account/profile", {"name": me.name, "whatsapp": typed})
    assert response.status_code == 303
    assert _user(me.email).phone == stored


@pytest.mark.parametrize("typed", ["12345", "0212345678", "+1 415 555 0100", "0812", "08123456789012345", "٠٨١٢٣٤٥٦٧٨٩"])
def test_a_number_that_is_not_an_indonesian_mobile_is_refused(login_as, typed):
    client, me = login_as("alumni")
    response = client.submit("/account/profile", {"name": me.name, "whatsapp": typed})
    assert response.status_code == 422 and "Nomor WhatsApp tidak valid" in response.get_data(as_text=True)
    assert _user(me.email).phone is None


def test_the_profile_fills_the_request_form(login_as, make_user):
    client, me = login_as("alumni")
    assert client.submit("/account/profile", {"name": "Sari Alumni", "nim": "1901020304", "prodi": "Pendidikan Matematika",
                                              "graduation_year": "2024", "whatsapp": "0812 3456 7890"}).status_code == 303
    form = client.get("/cases/new/pgri-konseling-karier").get_data(as_text=True)
    assert 'value="1901020304"' in form and 'value="Pendidikan Matematika"' in form and 'value="+6281234567890"' in form
    # Staff opening a case for someone else get an empty form, not their own numbers.
    staff_client, staff = login_as("staff")
    staff_client.submit("/account/profile", {"name": staff.name, "nim": "777777", "whatsapp": "081299998888"})
    make_user("alumni")
    assert "777777" not in staff_client.get("/cases/new/pgri-konseling-karier").get_data(as_text=True)


# -- staff register walk-in clients ------------------------------------------------------------
def test_staff_register_a_walk_in_client_who_sets_their_own_password(app, login_as, smtp_server):
    staff_client, staff = login_as("staff")
    page = staff_client.get("/accounts/clients/new").get_data(as_text=True)
    assert re.findall(r'<option[^>]*value="([a-z]+)"', page) == ["client", "alumni", "student"]
    response = staff_client.submit("/accounts/clients/new", {"name": "Ibu Datang", "email": "datang@test.id",
                                                             "role": "client", "whatsapp": "081211112222"})
    assert response.status_code == 303
    user = _user("datang@test.id")
    assert user.roles == {"client"} and user.phone == "+6281211112222" and not user.email_confirmed
    link = _link(_mail(smtp_server, "datang@test.id", "Akun Ruang Konseling Anda sudah dibuat"), "/account/setup/")
    client = app.test_client()
    assert client.get(link).status_code == 200
    assert client.submit(link, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    assert _login(app, "datang@test.id")[1].status_code == 302
    assert client.get(link).status_code == 410
    # Refusals: a known address, a staff role.
    again = staff_client.submit("/accounts/clients/new", {"name": "Lagi", "email": "datang@test.id", "role": "client"})
    assert again.status_code == 422 and "sudah terdaftar" in again.get_data(as_text=True)
    admin = staff_client.submit("/accounts/clients/new", {"name": "Admin", "email": "adm@test.id", "role": "admin"})
    assert admin.status_code == 422 and _user("adm@test.id") is None


def test_set_password_link_expires_after_three_days(app, login_as, smtp_server):
    staff_client, _ = login_as("staff")
    staff_client.submit("/accounts/clients/new", {"name": "Pak Lambat", "email": "lambat@test.id", "role": "alumni"})
    link = _link(_mail(smtp_server, "lambat@test.id", "Akun Ruang Konseling Anda sudah dibuat"), "/account/setup/")
    with time_machine.travel(utcnow() + timedelta(days=3, minutes=1), tick=False):
        assert app.test_client().get(link).status_code == 410


def test_registered_people_join_the_units_that_serve_them(app, client, login_as, smtp_server):
    """A self-registered alumnus joins the unit offering career counseling and sees that service
    (and no other institution's); a walk-in client registered by staff joins the staff member's
    unit that serves clients."""
    from app.org.models import Unit
    from app.org.services import set_user_units, unit_ids_of
    from app.sop.offerings import services_for, sync_offerings

    sync_offerings()
    db.session.commit()
    _register(client, email="alumnus@test.id")
    alumnus = _user("alumnus@test.id")
    assert {s.procedure.code for s in services_for(alumnus)} == {"pgri-konseling-karier"}

    staff_client, staff = login_as("staff")
    puspaga = db.session.scalar(db.select(Unit).where(Unit.code == "PUSPAGA"))
    set_user_units(staff, [puspaga.id])
    db.session.commit()
    staff_client.submit("/accounts/clients/new", {"name": "Bu Klien", "email": "klien@test.id", "role": "client"})
    assert unit_ids_of(_user("klien@test.id")) == {puspaga.id}
