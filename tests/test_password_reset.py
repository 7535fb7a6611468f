"""Lupa kata sandi: an e-mailed one-time link that expires, works once, and says nothing about
whether an address has an account."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from app.auth.models import User, UserToken
from app.database import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import deliver_due


def _ask(client, email):
    return client.submit("/password/forgot", {"email": email})


def _link_from_mail(smtp_server, address) -> str:
    deliver_due()
    [message] = smtp_server.to(address)
    assert message["Subject"] == "Atur ulang kata sandi Ruang Konseling"
    return re.search(r"http://localhost(/password/reset/\S+)", message.get_content()).group(1)


def test_login_page_links_to_forgotten_password(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_reset_by_link_sets_the_password_once(app, client, make_user, smtp_server):
    user = make_user("student", email="lupa@test.id")
    response = _ask(client, "LUPA@test.id")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    link = _link_from_mail(smtp_server, "lupa@test.id")
    assert db.session.scalar(db.select(UserToken.token_hash)) not in link  # only a hash is stored
    assert link.rsplit("/", 1)[1] not in db.session.scalar(db.select(UserToken.token_hash))
    page = client.get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    done = client.submit(link, {"password": "baru-sekali-1", "confirm": "baru-sekali-1"})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    fresh = app.test_client()
    assert fresh.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 422
    assert fresh.submit("/login", {"email": user.email, "password": "baru-sekali-1"}).status_code == 302
    used = client.get(link)
    assert used.status_code == 410
    body = used.get_data(as_text=True)
    assert "Tautan tidak berlaku lagi" in body and 'href="/password/forgot"' in body
    assert client.submit(link, {"password": "lain-lagi-12", "confirm": "lain-lagi-12"}).status_code == 410


def test_same_answer_whether_or_not_the_address_exists(app, make_user):
    make_user("student", email="ada@test.id")
    answers = []
    for email in ("ada@test.id", "tidak-ada@test.id"):
        client = app.test_client()
        response = _ask(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        flash = re.search(r"Jika alamat itu terdaftar[^<]*", page).group(0)
        answers.append((response.status_code, response.headers["Location"], flash))
    assert answers[0] == answers[1]
    assert [m.recipient for m in db.session.scalars(db.select(OutboxMessage))] == ["ada@test.id"]


def test_inactive_account_gets_no_link(client, make_user):
    make_user("student", email="mati@test.id", active=False)
    assert _ask(client, "mati@test.id").status_code == 302
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0


def test_link_expires_after_an_hour(client, make_user, smtp_server):
    make_user("student", email="lambat@test.id")
    _ask(client, "lambat@test.id")
    link = _link_from_mail(smtp_server, "lambat@test.id")
    with time_machine.travel(utcnow() + timedelta(minutes=61), tick=False):
        assert client.get(link).status_code == 410


def test_following_a_newer_link_spends_the_older_one(client, make_user, smtp_server):
    make_user("student", email="dua@test.id")
    _ask(client, "dua@test.id")
    _ask(client, "dua@test.id")
    deliver_due()
    first, second = (re.search(r"http://localhost(/password/reset/\S+)", m.get_content()).group(1)
                     for m in smtp_server.to("dua@test.id"))
    assert client.submit(second, {"password": "baru-sekali-1", "confirm": "baru-sekali-1"}).status_code == 302
    assert client.get(first).status_code == 410


def test_reset_ends_the_sessions_of_the_account(app, make_user, smtp_server):
    user = make_user("student", email="curian@test.id")
    thief = app.test_client()
    assert thief.submit("/login", {"email": user.email, "password": "rahasia123"}).status_code == 302
    owner = app.test_client()
    _ask(owner, "curian@test.id")
    owner.submit(_link_from_mail(smtp_server, "curian@test.id"), {"password": "baru-sekali-1", "confirm": "baru-sekali-1"})
    assert thief.get("/").status_code == 302


def test_bad_input_changes_nothing(client, make_user, smtp_server):
    user = make_user("student", email="salah@test.id")
    bad_email = _ask(client, "bukan-email")
    assert bad_email.status_code == 422 and "Alamat e-mail tidak valid." in bad_email.get_data(as_text=True)
    _ask(client, "salah@test.id")
    link = _link_from_mail(smtp_server, "salah@test.id")
    mismatch = client.submit(link, {"password": "baru-sekali-1", "confirm": "baru-sekali-2"})
    assert mismatch.status_code == 422 and "Kedua kata sandi baru tidak sama." in mismatch.get_data(as_text=True)
    assert client.get("/password/reset/" + "x" * 5000).status_code == 410
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == user.password_hash
    assert client.get(link).status_code == 200  # still usable


def test_forgot_form_is_rate_limited_per_address_and_per_account(app, make_user):
    make_user("student", email="banjir@test.id")
    statuses = [_ask(app.test_client(), f"orang{n}@test.id").status_code for n in range(6)]
    assert statuses == [302] * 5 + [429]
    per_account = [app.test_client().submit("/password/forgot", {"email": "banjir@test.id"},
                                            environ_base={"REMOTE_ADDR": f"10.9.0.{n}"}).status_code
                   for n in range(4)]
    assert per_account == [302] * 3 + [429]  # no mail-bombing one person from many addresses
    assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 3
