"""Browser journeys: the app served on loopback, Playwright driving Debian's Chromium."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import TestConfig
from app.extensions import db
from scripts.system_deps import CHROMIUM, skip_reason

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
DEMO_PASSWORD = "demo12345"


def pytest_collection_modifyitems(config, items):
    reason = skip_reason("browser")  # Chromium, and Pango for the letters the demo data issues
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            if "e2e" in item.nodeid:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe-core is injected as an inline script, which the app's CSP would refuse.
    return {**browser_context_args, "bypass_csp": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}


@contextmanager
def serve_demo(db_file: Path, mail: bool = False):
    """The app with demo data on a fresh migrated SQLite file, served on 127.0.0.1: yields
    (app, base URL, mailbox). With `mail` its e-mail goes to an SMTP sink on loopback (`mailbox`,
    else None). A journey adds what it needs in the app's context before its browser starts."""
    from flask_migrate import upgrade

    from app.demo import seed_demo

    config = TestConfig(f"sqlite:///{db_file}")
    config.TESTING = False
    app = create_app(config)
    controller = mailbox = None
    if mail:
        from aiosmtpd.controller import Controller

        from tests.conftest import Mailbox, free_port

        mailbox, port = Mailbox(), free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                          MAIL_USERNAME="")
    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}", mailbox
    finally:
        server.shutdown()
        if controller is not None:
            controller.stop()
        with app.app_context():
            db.engine.dispose()


def deliver(app) -> None:
    """What the scheduler's outbox job does (`flask jobs tick`)."""
    from app.notifications.services import deliver_due

    with app.app_context():
        deliver_due()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app with demo data, served on 127.0.0.1 (shared by the journeys that add nothing)."""
    with serve_demo(tmp_path_factory.mktemp("e2e") / "e2e.db") as (_app, url, _mailbox):
        yield url


def sign_in(page, live_server: str, role: str) -> None:
    """Log in as the demo user of a role through the login form."""
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(f"{role}@demo.test")
    page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{live_server}/")


@pytest.fixture
def login(page, live_server):
    return lambda role: sign_in(page, live_server, role)


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the current page."""
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)


def assert_fits(page, width: int = 360) -> None:
    """Nothing overflows a phone-sized screen sideways (the page's own size is restored after)."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 740})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if before:
        page.set_viewport_size(before)
    assert overflow <= width, f"page is {overflow}px wide on a {width}px screen"
