"""Links that work where the app runs: every absolute link — password e-mails, invitations, the
calendar feed, letter QR codes, reminders — is built by one helper on APP_BASE_URL, whatever host or
path prefix a request came in on; the feed's field says http when the link is http."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.booking.ical import invite
from app.booking.services import book
from app.documents.services import verify_url
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests.test_booking import NOW, local, setup  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://kampus.example/konseling"


@pytest.fixture
def based(app):
    """The app served under a path prefix of another host."""
    old = app.config["APP_BASE_URL"]
    app.config["APP_BASE_URL"] = BASE
    yield BASE
    app.config["APP_BASE_URL"] = old


def mails_to(address: str) -> list[OutboxMessage]:
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == address)
                              .order_by(OutboxMessage.id)).all()


def test_every_absolute_link_is_built_by_one_helper():
    """app/urls.py's external_url; nowhere else reads APP_BASE_URL or asks url_for for _external."""
    allowed = {ROOT / "app" / "urls.py", ROOT / "app" / "config.py"}
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")] if path not in allowed
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "APP_BASE_URL" in line or re.search(r"(?<!\w)_external\s*=", line)]
    assert found == []


def test_the_reset_link_follows_the_base_not_the_request(app, make_user, based):
    """A request that came through a proxy under /konseling, with a Host header the client chose."""
    from app.auth.services import request_password_reset

    user = make_user("alumni", email="lupa@test.id")
    with app.test_request_context("/account/password/forgot", base_url="http://evil.example/konseling"):
        request_password_reset(user.email)
    body = mails_to(user.email)[-1].body
    link = re.search(r"https?://\S+", body).group(0)
    assert link.startswith(f"{BASE}/password/reset/"), link
    assert "evil.example" not in body


def test_invites_feed_reminders_and_letters_link_under_the_base(setup, app, based):  # noqa: F811
    case, counselor, alumnus = setup
    appointment = book(case, alumnus, local("2026-11-24T10:15"), now=NOW)
    db.session.commit()
    page = f"{BASE}/appointments/{appointment.id}"
    assert any(page in m.body for m in mails_to(alumnus.email))  # the invitation e-mail
    assert page in invite(appointment).decode().replace("\r\n ", "")  # and its calendar event
    feed = app.test_cli_runner().invoke(args=["calendar", "url", counselor.email]).output.strip()
    assert re.fullmatch(rf"{re.escape(BASE)}/calendar/[\w-]+\.ics", feed), feed
    assert verify_url("AB12CD") == f"{BASE}/verify/AB12CD"  # what a letter's QR code holds


@pytest.mark.parametrize("base", ["http://192.168.1.20:5000", "https://konseling.example.ac.id"])
def test_the_feed_field_names_what_it_is_for_and_no_scheme_its_link_lacks(setup, app, base):  # noqa: F811
    case, counselor, alumnus = setup
    old, app.config["APP_BASE_URL"] = app.config["APP_BASE_URL"], base
    try:
        client = app.test_client()
        client.submit("/login", {"email": counselor.email, "password": "rahasia123"})
        page = client.get("/booking/settings").get_data(as_text=True)
    finally:
        app.config["APP_BASE_URL"] = old
    field = re.search(r'<label for="feed-https">([^<]*)</label>\s*<div class="copy"><input[^>]*value="([^"]+)"', page)
    assert field and field.group(1) == "Alamat langganan (Google Calendar, Outlook)"
    assert field.group(2).startswith(base + "/calendar/")
