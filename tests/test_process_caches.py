"""What a process keeps between requests (the working calendar, the procedure files), how soon
a change counts, and the per-request savings: the user and their roles in one statement, and no
write for a request that only read."""
from __future__ import annotations

import time
from datetime import date

import pytest

from app.extensions import db
from app.sop.models import Closure
from app.sop.registry import procedures
from app.org.services import current_institution
from app.sop.workcal import working_calendar
from tests.conftest import Client
from tests.test_sop_definitions import BUILTIN_DIR

DAY = date(2031, 3, 4)  # a Tuesday, no national holiday


@pytest.fixture
def app_with(database_url):
    """Another app on the same database ("another process"), with these settings."""
    from app import create_app
    from app.config import TestConfig

    made = []

    def factory(**settings):
        config = TestConfig(database_url)
        for key, value in settings.items():
            setattr(config, key, value)
        other = create_app(config)
        other.test_client_class = Client
        made.append(other)
        return other

    yield factory
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def _is_working(app, day: date) -> bool:
    with app.app_context():
        return working_calendar().is_working_day(day)


def _log_in(client, email: str) -> None:
    assert client.submit("/login", {"email": email, "password": "rahasia123"}).status_code == 302


def test_a_closure_added_on_this_host_counts_at_once(app, app_with, make_user):
    kept = app_with(CACHE_RELOAD_SECONDS=3600)
    make_user("admin", email="admin@cache.id")
    assert _is_working(kept, DAY)  # now kept by the process
    client = kept.test_client()
    _log_in(client, "admin@cache.id")
    answer = client.submit("/admin/calendar", {"day": DAY.isoformat(), "open": "closed", "reason": "Rapat senat"})
    assert answer.status_code == 302
    assert not _is_working(kept, DAY)


def test_a_closure_added_on_another_host_counts_within_the_reload_time(app, app_with):
    here = app_with(CACHE_RELOAD_SECONDS=1)
    assert _is_working(here, DAY)
    institution = current_institution()  # "another host": the test's own app and session
    db.session.add(Closure(institution_id=institution.id, day=DAY, open=False, reason="Rapat senat"))
    db.session.commit()
    time.sleep(1.1)
    assert not _is_working(here, DAY)


def test_a_change_rolled_back_is_not_kept(app, app_with):
    from app.sop.workcal import forget_calendar

    kept = app_with(CACHE_RELOAD_SECONDS=3600)
    with kept.app_context():
        db.session.add(Closure(institution_id=current_institution().id, day=DAY, open=False, reason="Batal"))
        db.session.flush()
        forget_calendar()
        assert not working_calendar().is_working_day(DAY)  # the request sees its own change
        db.session.rollback()
    assert _is_working(kept, DAY)


def test_a_procedure_file_added_counts_within_the_reload_time(app, tmp_path):
    app.config.update(SOP_PROCEDURES_DIR=str(tmp_path), CACHE_RELOAD_SECONDS=1)
    try:
        text = (BUILTIN_DIR / "puspaga-konseling.yaml").read_text().replace("code: puspaga-konseling",
                                                                            "code: puspaga-tambahan")
        assert "puspaga-tambahan" not in procedures()
        (tmp_path / "puspaga-tambahan.yaml").write_text(text)
        time.sleep(1.1)
        assert "puspaga-tambahan" in procedures()
    finally:
        app.config.pop("SOP_PROCEDURES_DIR")
        app.config["CACHE_RELOAD_SECONDS"] = 0


def _count(sql, client, method, url, **kwargs):
    with sql() as ran:
        answer = getattr(client, method)(url, **kwargs)
    return answer, {"sql": len(ran), "commit": ran.commits}


def test_the_user_and_roles_load_in_one_statement_and_reading_writes_nothing(app, client, make_user, sql):
    make_user("student", "alumni", email="dua.peran@cache.id")
    _log_in(client, "dua.peran@cache.id")
    with sql() as ran:
        answer = client.get("/account/password")
    assert answer.status_code == 200
    assert len(ran) == 1 and ran[0].lstrip().startswith("SELECT") and ran.commits == 1  # read, then ended


def test_a_request_that_changes_something_still_commits(app, client, make_user, sql):
    user = make_user("student", email="bahasa@cache.id")
    _log_in(client, "bahasa@cache.id")
    answer, counts = _count(sql, client, "submit", "/language", data={"lang": "en", "next": "/"})
    assert answer.status_code == 302 and counts["commit"] == 1
    db.session.refresh(user)
    assert user.locale == "en"


def test_a_savepoint_ending_keeps_the_writes_before_it_marked(app):
    from app import _has_writes

    db.session.add(Closure(institution_id=current_institution().id, day=DAY, open=False, reason="Rapat"))
    db.session.flush()
    with db.session.begin_nested():  # released
        pass
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    assert _has_writes(db.session)
    db.session.commit()
    assert not _has_writes(db.session)
