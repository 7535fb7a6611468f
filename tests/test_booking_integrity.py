"""One case, one agreed appointment — by the database, also under concurrent requests — and no
booking on a case that is closed or cancelled."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.booking.models import Appointment, Mode
from app.booking.services import accept, book, join_waitlist, propose
from app.errors import DomainError
from app.extensions import db
from app.sop.models import Case, CaseState
from tests.conftest import at_once
from tests.test_booking import NOW, local, setup  # noqa: F401 - the shared booking fixture

SLOTS = [f"2026-11-{day}T{hour}" for day in (24, 25, 26, 27) for hour in ("09:00", "10:15")]


@pytest.mark.real_commits
def test_eight_slots_of_one_case_at_once_give_one_appointment(_app, app, setup):  # noqa: F811
    case, counselor, alumnus = setup
    case_id = case.id
    def attempt(start):
        fresh = db.session.get(Case, case_id)
        book(fresh, fresh.subject, local(start), now=NOW)

    outcomes = at_once(_app, attempt, SLOTS)
    assert outcomes.count("ok") == 1, outcomes
    assert all(o == "ok" or "sudah memiliki jadwal" in o for o in outcomes), set(outcomes)
    agreed = db.session.scalar(sa.select(sa.func.count()).select_from(Appointment).where(
        Appointment.case_id == case_id, Appointment.status == "agreed"))
    assert agreed == 1


def test_the_database_refuses_a_second_agreed_time_for_a_case(setup):  # noqa: F811
    case, counselor, alumnus = setup
    first = book(case, alumnus, local("2026-11-24T09:00"), now=NOW)
    db.session.commit()
    twin = Appointment(uid="twin@test", case_id=case.id, counselor_id=counselor.id, client_id=alumnus.id,
                       start_at=local("2026-11-25T09:00"), end_at=local("2026-11-25T10:00"), mode=first.mode,
                       status="agreed")
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_proposal_cannot_be_accepted_once_a_time_is_agreed(app, setup):  # noqa: F811
    case, counselor, alumnus = setup
    proposals = propose(case, counselor, [local("2026-11-24T13:00"), local("2026-11-25T13:00")], now=NOW)
    db.session.commit()
    stale_id = proposals[0].id
    book(case, alumnus, local("2026-11-26T09:00"), now=NOW)
    db.session.commit()
    # The agreed time replaced the proposals: gone from the database and from the page.
    assert db.session.get(Appointment, stale_id) is None
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    assert "Terima waktu ini" not in client.get(f"/cases/{case.id}/booking").get_data(as_text=True)
    # A proposal made before and accepted after (another tab) is refused.
    db.session.add(Appointment(uid="late@test", case_id=case.id, counselor_id=counselor.id, client_id=alumnus.id,
                               start_at=local("2026-11-27T13:00"), end_at=local("2026-11-27T14:00"),
                               mode=Mode.IN_PERSON, status="proposed"))
    db.session.commit()
    late = db.session.scalar(sa.select(Appointment).where(Appointment.uid == "late@test"))
    with pytest.raises(DomainError, match="sudah memiliki jadwal"):
        accept(late, alumnus, now=NOW)
    with pytest.raises(DomainError, match="sudah memiliki jadwal"):
        propose(case, counselor, [local("2026-11-30T13:00")], now=NOW)


@pytest.mark.parametrize("state", [CaseState.CLOSED, CaseState.CANCELLED])
def test_nothing_is_booked_on_a_closed_or_cancelled_case(app, setup, state):  # noqa: F811
    case, counselor, alumnus = setup
    case.state = state
    db.session.commit()
    for action in (lambda: book(case, alumnus, local("2026-11-24T09:00"), now=NOW),
                   lambda: propose(case, counselor, [local("2026-11-24T13:00")], now=NOW),
                   lambda: join_waitlist(case, alumnus, now=NOW)):
        with pytest.raises(DomainError, match="ditutup atau dibatalkan"):
            action()
    client = app.test_client()
    client.submit("/login", {"email": alumnus.email, "password": "rahasia123"})
    response = client.submit(f"/cases/{case.id}/booking", {"start": local("2026-11-24T09:00").isoformat()})
    assert response.status_code == 422 and "ditutup atau dibatalkan" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)) == 0
