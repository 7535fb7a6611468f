"""A workshop edition's lifecycle on the SOP engine: the surat tugas proposed by P2KLLK and
decided by the rectorate (a return issues no letter and reopens the proposal; the approval issues
one numbered letter listing the committee, each member told), the coordination meeting (an
invite a calendar parses, the event in the member's feed), speakers, the checklist, the pages'
access, and `flask workshops create`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import vobject
from icalendar import Calendar
from pypdf import PdfReader

from app.documents.models import Letter
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.sop.models import StepState
from app.workshops import editions as svc
from app.workshops.models import Workshop

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
DAY = NOW + timedelta(days=30)


def passes(case, key):
    return [(r.attempt, r.state.value) for r in case.steps if r.key == key]


def edition(make_user, members=2):
    head, rector = make_user("head", position="Kepala P2KLLK"), make_user("rectorate")
    workshop = svc.create_workshop("Mengenal Diri", DAY, 120, DAY - timedelta(days=2), head, now=NOW)
    people = [make_user("committee", name=f"Panitia {i}", email=f"panitia{i}@test.id") for i in range(members)]
    for i, person in enumerate(people):
        svc.add_member(workshop, person, "ketua" if i == 0 else "anggota", svc.DIVISIONS[i % 2], head, now=NOW)
    db.session.commit()
    return workshop, head, rector, people


def approved(make_user):
    workshop, head, rector, people = edition(make_user)
    svc.propose_assignment(workshop, head, now=NOW)
    svc.decide_assignment(workshop, "disetujui", "", rector, now=NOW + timedelta(hours=2))
    db.session.commit()
    return workshop, head, rector, people


def test_a_returned_proposal_issues_no_letter_and_reopens_the_proposal(app, make_user):
    workshop, head, rector, people = edition(make_user)
    case = workshop.case
    assert case.step_row("usulan_surat_tugas").due_at is not None  # 1 hari after the committee was set
    svc.propose_assignment(workshop, head, now=NOW)
    svc.decide_assignment(workshop, "dikembalikan untuk perbaikan", "Lengkapi unsur tracer study", rector,
                          now=NOW + timedelta(hours=1))
    db.session.commit()
    assert passes(case, "usulan_surat_tugas") == [(1, "done"), (2, "active")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0
    assert svc.assignment_letter(workshop) is None
    svc.propose_assignment(workshop, head, now=NOW + timedelta(hours=2))
    svc.decide_assignment(workshop, "disetujui", "", rector, now=NOW + timedelta(hours=3))
    db.session.commit()
    assert case.step_row("koordinasi").state == StepState.ACTIVE


def test_approval_issues_one_numbered_letter_listing_the_members_and_tells_each(app, make_user):
    workshop, head, rector, people = approved(make_user)
    letters = db.session.scalars(sa.select(Letter)).all()
    assert len(letters) == 1 and letters[0].doc_type == "surat_tugas" and "/ST/" in letters[0].number
    import io

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letters[0].pdf)).pages)
    assert "Panitia 0" in text and "ketua" in text and "Panitia 1" in text and "Divisi tracer study" in text
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.like(f"workshop:{workshop.id}:assigned:%"),
                                                              OutboxMessage.channel == "email")).all()
    assert sorted(m.recipient for m in mails) == ["panitia0@test.id", "panitia1@test.id"]
    assert all(m.attachments and letters[0].number in m.body for m in mails)


def test_meeting_invite_parses_and_is_in_the_members_feed(app, make_user, smtp_server):
    from app.booking.services import profile_for
    from app.notifications.services import deliver_due

    workshop, head, rector, people = approved(make_user)
    svc.schedule_meeting(workshop, NOW + timedelta(days=2), "Ruang Rapat P2KLLK", people[0], now=NOW)
    db.session.commit()
    deliver_due(now=NOW + timedelta(minutes=1))
    mail = smtp_server.to("panitia1@test.id")[0]
    ics = next(p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar").get_content()
    ics = ics if isinstance(ics, str) else ics.decode()
    parsed = vobject.readOne(ics)
    event = parsed.vevent
    assert event.dtend.value - event.dtstart.value == timedelta(minutes=60)
    assert "VTIMEZONE" in ics and event.location.value == "Ruang Rapat P2KLLK"
    assert len(smtp_server.to("panitia0@test.id")) >= 1
    token = profile_for(people[1]).feed_token  # the address the edition page shows the member
    db.session.commit()
    feed = app.test_client().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    uids = [str(c["uid"]) for c in Calendar.from_ical(feed.data).walk("VEVENT")]
    assert svc.meeting_uid(workshop) in uids


def test_outcome_speakers_and_checklist(app, make_user):
    workshop, head, rector, people = approved(make_user)
    import pytest

    from app.errors import DomainError

    with pytest.raises(DomainError):
        svc.record_outcome(workshop, "Tema", people[0], now=NOW)  # no meeting yet
    svc.schedule_meeting(workshop, NOW + timedelta(days=1), "Aula", people[0], now=NOW)
    svc.add_speaker(workshop, "Dra. Endang", "PT KAI", "Karier", "endang@test.id", False)
    svc.record_outcome(workshop, "Mengenal Diri, Merancang Karier", people[0], now=NOW + timedelta(days=1, hours=1))
    db.session.commit()
    assert workshop.case.data["theme"] == "Mengenal Diri, Merancang Karier"
    persiapan = workshop.case.step_row("persiapan")
    assert persiapan.state == StepState.ACTIVE and persiapan.due_at > NOW + timedelta(days=7)
    items = svc.workshop_checklist(workshop)
    assert [i.title for i in items] == list(svc.DEFAULT_CHECKLIST)
    with pytest.raises(DomainError):
        svc.finish_preparation(workshop, "Aula", people[0], now=NOW + timedelta(days=2))
    extra = svc.add_item(workshop, "Konsumsi")
    svc.assign_item(workshop, extra.id, people[1].id)
    with pytest.raises(DomainError):
        svc.assign_item(workshop, extra.id, head.id)  # not on the committee
    for item in svc.workshop_checklist(workshop):
        svc.set_item_done(workshop, item.id, True, people[1], now=NOW + timedelta(days=2))
    svc.finish_preparation(workshop, "Aula Utama", people[0], now=NOW + timedelta(days=3))
    db.session.commit()
    done = svc.workshop_checklist(workshop)[-1]
    assert done.done_by_id == people[1].id and done.assignee_id == people[1].id
    assert workshop.venue == "Aula Utama" and workshop.case.step_row("pemberitahuan").state == StepState.ACTIVE


def test_pages_for_p2kllk_committee_and_rectorate(app, make_user, login_as):
    workshop, head, rector, people = edition(make_user)
    for user, code in ((head, 200), (people[0], 200), (rector, 200), (make_user("committee"), 404),
                       (make_user("student"), 404), (make_user("rectorate", units=["PUSPAGA"]), 404)):
        client = app.test_client()
        client.submit("/login", {"email": user.email, "password": "rahasia123"})
        assert client.get(f"/workshops/{workshop.id}").status_code == code, user.roles
    client = app.test_client()
    client.submit("/login", {"email": people[1].email, "password": "rahasia123"})
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "Panitia 0" in page and "Tambah panitia" not in page  # members do not compose the committee
    assert client.submit(f"/workshops/{workshop.id}/proposal", {}).status_code == 403
    # the SOP case page's workshop steps lead here
    step = client.get(f"/cases/{workshop.case_id}/workshop")
    assert step.status_code == 302 and step.headers["Location"].endswith(f"/workshops/{workshop.id}")


def test_the_rectorate_decides_on_the_page(app, make_user, login_as):
    workshop, head, rector, people = edition(make_user)
    svc.propose_assignment(workshop, head, now=NOW)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": rector.email, "password": "rahasia123"})
    refused = client.submit(f"/workshops/{workshop.id}/decision", {"decision": "dikembalikan untuk perbaikan"})
    assert refused.status_code == 422 and "perlu diperbaiki" in refused.get_data(as_text=True)
    assert client.submit(f"/workshops/{workshop.id}/decision", {"decision": "disetujui"}).status_code == 302
    assert svc.assignment_letter(db.session.get(Workshop, workshop.id)) is not None


def test_cli_create_prints_id_and_url(app, make_user):
    make_user("head")
    result = app.test_cli_runner().invoke(args=["workshops", "create", "--title", "Workshop CLI", "--at",
                                                "2031-03-01T09:00+07:00", "--capacity", "250"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split("\t") for line in result.output.strip().splitlines())
    workshop = db.session.get(Workshop, int(lines["id"]))
    assert workshop.registration_open and workshop.capacity == 250
    assert lines["url"].startswith(app.config["APP_BASE_URL"]) and str(workshop.id) in lines["url"]
    assert svc.stage(workshop).key == "pemberitahuan"
    assert app.test_cli_runner().invoke(args=["workshops", "create", "--title", "X", "--at", "2020-01-01T09:00",
                                              "--capacity", "5"]).exit_code == 1


def test_the_list_reads_a_constant_number_of_queries(app, make_user, sql):
    head = make_user("head")
    client = app.test_client()
    client.submit("/login", {"email": head.email, "password": "rahasia123"})

    def count():
        with sql() as ran:
            assert client.get("/workshops").status_code == 200
        return len(ran)

    svc.create_workshop("Satu", DAY, 10, None, head, now=NOW)
    db.session.commit()
    one = count()
    for i in range(4):
        svc.create_workshop(f"Lagi {i}", DAY, 10, None, head, now=NOW)
    db.session.commit()
    assert count() == one
