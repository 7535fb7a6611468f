"""Reminders, due notices and escalations arrive exactly once at a real SMTP server; the outbox
survives an SMTP outage; the lease keeps a second scheduler idle."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.services import deliver_due, notify
from app.sop.access import remove_member
from app.sop.models import Notice
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from jobs import lease
from app.sop.notices import sweep
from tests.conftest import ROOT, free_port
from tests.puspaga_flow import INTAKE, assess, consent, to_consent

KARIER = {"nim": "1901", "prodi": "PMat", "phone": "0812", "mode": "online", "question": "RAHASIA-PERTANYAAN"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture
def people(make_user):
    return {"alumni": make_user("alumni"), "staff": make_user("staff", email="tu@test.id"),
            "head": make_user("head", email="kepala@test.id")}


@pytest.fixture
def case(people):
    case = open_case(get_procedure("pgri-konseling-karier"), people["alumni"], dict(KARIER),
                     now=at("2026-11-23T09:00+07:00"))
    db.session.commit()
    return case


def run(now: str) -> dict:
    """One scheduler pass as of `now`: sweep, commit, deliver."""
    counts = sweep(at(now))
    db.session.commit()
    deliver_due(at(now))
    return counts


def test_reminder_due_and_escalation_each_arrive_once(case, smtp_server):
    run("2026-11-23T09:40+07:00")
    assert smtp_server.messages == []
    run("2026-11-23T09:45+07:00")
    run("2026-11-23T09:46+07:00")  # again: nothing new
    assert [m["Subject"] for m in smtp_server.to("tu@test.id")] == ["Pengingat: langkah SOP menunggu tindakan Anda"]
    run("2026-11-23T10:00+07:00")
    run("2026-11-23T10:30+07:00")
    run("2026-11-23T11:00+07:00")
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects.count("Pengingat: langkah SOP menunggu tindakan Anda") == 1
    assert subjects.count("Batas waktu langkah SOP tercapai") == 1
    escalations = smtp_server.to("kepala@test.id")
    assert [m["Subject"] for m in escalations] == ["Eskalasi: langkah SOP melewati baku mutu"]
    body = escalations[0].get_content()
    assert f"/cases/{case.id}/steps/izin_tu" in body and "RAHASIA" not in body  # no confidential content


def test_catching_up_after_downtime_sends_only_the_latest_state(case, smtp_server):
    counts = run("2026-11-24T12:00+07:00")  # the scheduler was down through reminder, due and escalation
    assert counts["escalation"] == 1 and counts["reminder"] == counts["due"] == 0
    assert len(smtp_server.messages) == 1 and smtp_server.messages[0]["To"] == "kepala@test.id"
    run("2026-11-24T13:00+07:00")
    assert len(smtp_server.messages) == 1


def test_crash_mid_sweep_then_restart_sends_once(case, smtp_server):
    sweep(at("2026-11-23T09:50+07:00"))
    db.session.rollback()  # the process died before committing
    run("2026-11-23T09:51+07:00")
    run("2026-11-23T09:52+07:00")
    assert len(smtp_server.to("tu@test.id")) == 1


def test_two_sweeps_on_separate_connections_write_one_notice(app, case, smtp_server):
    """Without the lease, the unique (step, kind) row alone keeps notices single."""
    first = sweep(at("2026-11-23T09:50+07:00"))
    db.session.commit()
    # a second process that read the step before the first committed would try again:
    from app.database import insert_ignore
    from app.sop.models import NoticeKind

    assert insert_ignore(Notice, case_step_id=case.steps[0].id, kind=NoticeKind.REMINDER,
                         created_at=at("2026-11-23T09:50+07:00")) is False
    db.session.commit()
    assert first["reminder"] == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_done_step_gets_no_more_notices(case, people, smtp_server):
    complete_step(case, "izin_tu", people["staff"], {}, now=at("2026-11-23T09:30+07:00"))
    db.session.commit()
    run("2026-11-23T09:50+07:00")
    assert smtp_server.to("tu@test.id") == []  # step 2 (1 jam from 09:30) reminds at 10:15
    run("2026-11-23T10:15+07:00")
    assert len(smtp_server.to("tu@test.id")) == 1


def test_sweep_reads_only_due_rows(app, case, people):
    """Done steps and steps whose notices are all sent are not even read."""
    for _ in range(5):
        other = open_case(get_procedure("pgri-konseling-karier"), people["alumni"], dict(KARIER),
                          now=at("2026-11-23T09:00+07:00"))
        complete_step(other, "izin_tu", people["staff"], {}, now=at("2026-11-23T09:10+07:00"))
    db.session.commit()
    assert sweep(at("2026-11-23T09:20+07:00"))["checked"] == 0
    assert sweep(at("2026-11-23T09:45+07:00"))["checked"] == 1  # only the open case's reminder
    db.session.commit()
    assert sweep(at("2026-11-23T09:46+07:00"))["checked"] == 0


def test_outbox_survives_smtp_outage_and_delivers_once(app, people):
    port = free_port()  # nothing listens here yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    notify(people["staff"], "Uji", "Isi", key="uji:1", now=at("2026-11-23T09:00+07:00"))
    db.session.commit()
    counts = deliver_due(at("2026-11-23T09:00+07:00"))
    assert counts["retry"] == 1
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.status == OutboxStatus.PENDING and message.attempts == 1 and "Connection" in message.last_error
    assert deliver_due(at("2026-11-23T09:00:30+07:00"))["retry"] == 0  # backing off
    deliver_due(at("2026-11-23T09:01+07:00"))
    from aiosmtpd.controller import Controller

    from tests.conftest import Mailbox

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        deliver_due(at("2026-11-23T10:00+07:00"))
        deliver_due(at("2026-11-23T11:00+07:00"))
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1 and mailbox.messages[0]["Subject"] == "Uji"
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutboxMessage)).status == OutboxStatus.SENT


def test_same_key_is_queued_once(people):
    assert notify(people["staff"], "A", "B", key="sama") == 1
    assert notify(people["staff"], "A", "B", key="sama") == 0


def test_whatsapp_without_gateway_is_kept_as_unsendable(app, make_user):
    user = make_user("student", phone="+62 812 1", notify_whatsapp=True, notify_email=False)
    notify(user, "Jadwal", "Besok 09.00", key="wa:1")
    db.session.commit()
    deliver_due()
    message = db.session.scalar(sa.select(OutboxMessage))
    assert message.channel == "whatsapp" and message.status == OutboxStatus.UNSENDABLE
    assert "WHATSAPP_GATEWAY_URL" in message.last_error


def test_lease_keeps_a_second_scheduler_idle(app):
    now = at("2026-11-23T09:00+07:00")
    assert lease.acquire("A", now) is True
    assert lease.acquire("B", now) is False
    assert lease.acquire("A", now + timedelta(seconds=30)) is True  # renewal
    assert lease.acquire("B", now + timedelta(seconds=200)) is True  # A died: its lease ran out
    lease.release("B")  # a clean shutdown hands it over at once
    assert lease.acquire("A", now + timedelta(seconds=201)) is True


@pytest.mark.real_commits
def test_two_scheduler_processes_deliver_each_reminder_once(app, case, smtp_server, database_url):
    """Two real `flask jobs tick` processes at the same moment: one runs, one stays idle."""
    env = {**os.environ, "DATABASE_URL": database_url, "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_server.port), "FLASK_APP": "wsgi.py", "SECRET_KEY": "test-secret-key"}
    command = [sys.executable, "-m", "flask", "jobs", "tick", "--now", "2026-11-23T09:50+07:00"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0
    assert len(smtp_server.to("tu@test.id")) == 1, outputs


def test_whatsapp_gateway_gets_a_json_post_with_the_token(app, make_user):
    """The HTTP gateway adapter against a real HTTP server on loopback."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Authorization"], json.loads(body)))
            self.send_response(200 if len(received) > 1 else 503)  # the first try fails
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config.update(WHATSAPP_GATEWAY_URL=f"http://127.0.0.1:{server.server_port}/send",
                      WHATSAPP_GATEWAY_TOKEN="rahasia-gateway")
    try:
        user = make_user("student", phone="+62 812 1", notify_whatsapp=True, notify_email=False)
        notify(user, "Jadwal", "Besok 09.00", key="wa:2", now=at("2026-11-23T09:00+07:00"))
        db.session.commit()
        assert deliver_due(at("2026-11-23T09:00+07:00"))["retry"] == 1
        assert deliver_due(at("2026-11-23T09:05+07:00"))["sent"] == 1
    finally:
        server.shutdown()
        server.server_close()
        app.config.update(WHATSAPP_GATEWAY_URL="", WHATSAPP_GATEWAY_TOKEN="")
    assert len(received) == 2
    token, payload = received[1]
    assert token == "Bearer rahasia-gateway"
    assert payload["to"] == "+62 812 1" and payload["message"] == "Jadwal\n\nBesok 09.00"


def claimed_puspaga_case(make_user):
    """A PUSPAGA case a counselor claimed and assessed at 08.10; its next counselor step is
    active. (case, that counselor, another counselor of the unit)."""
    staff, mine, other = make_user("staff"), make_user("counselor"), make_user("counselor")
    now = at("2026-11-23T08:10+07:00")
    case = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
                     subject=make_user("client"), now=at("2026-11-23T08:00+07:00"))
    complete_step(case, "permohonan", staff, {**INTAKE, "appointment_at": "2026-11-30T09:00"}, now=now)
    to_consent(case, mine, now=now)
    consent(case, mine, now=now)
    assess(case, mine, "A", now=now)
    return case, mine, other


def test_a_team_step_is_announced_to_the_case_team_only(make_user):
    """Once a counselor has claimed a PUSPAGA case, its counselor steps are theirs: the reminder
    goes to them, not to every counselor (nor to one who lost the role)."""
    case, mine, other = claimed_puspaga_case(make_user)
    db.session.commit()
    assert sweep(at("2026-11-23T08:35+07:00"))["reminder"] == 1  # prioritas: 30 menit kerja from 08.10
    told = set(db.session.scalars(sa.select(OutboxMessage.user_id)))
    assert mine.id in told and other.id not in told
    # taken off the team, the step stays the team's (nobody may claim it back: access.can_act):
    # neither the one removed nor the unit's other counselors hear of it; the head does, when late
    head = make_user("head")
    remove_member(case, head, next(m.id for m in case.team() if m.user_id == mine.id), "Cuti panjang")
    db.session.commit()
    sweep(at("2026-11-23T09:00+07:00"))
    later = set(db.session.scalars(sa.select(OutboxMessage.user_id))) - told
    assert not later & {mine.id, other.id}


def test_notices_go_to_the_role_holders_of_the_cases_unit(make_user):
    """A role holds in one's own units: the reminder of a PUSPAGA step goes to PUSPAGA's staff, its
    escalation to PUSPAGA's head, not to those of another unit (who could not open the case)."""
    staff, elsewhere = make_user("staff", units=["PUSPAGA"]), make_user("staff", units=["P2KLLK"])
    head, other_head = make_user("head", units=["PUSPAGA"]), make_user("head", units=["P2KLLK"])
    case = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
                     subject=make_user("client", units=["PUSPAGA"]), now=at("2026-11-23T08:00+07:00"))
    db.session.commit()
    assert sweep(at("2026-11-23T08:31+07:00"))["due"] == 1  # the first step's 30 minutes are up
    assert set(db.session.scalars(sa.select(OutboxMessage.user_id))) == {staff.id}
    assert sweep(at("2026-11-23T13:00+07:00"))["escalation"] == 1
    assert set(db.session.scalars(sa.select(OutboxMessage.user_id))) == {staff.id, head.id}


def test_the_person_served_hears_nothing_of_their_case_in_their_staff_or_head_role(make_user):
    """A staff member and head who asks for counseling for themselves acts on their case only as the
    person served (access.can_act, is_head_of): its steps' notices and escalation go to the unit's
    others."""
    served = make_user("client", "staff", "head", units=["PUSPAGA"])
    staff, head = make_user("staff", units=["PUSPAGA"]), make_user("head", units=["PUSPAGA"])
    open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
              subject=served, now=at("2026-11-23T08:00+07:00"))
    db.session.commit()
    assert sweep(at("2026-11-23T08:31+07:00"))["due"] == 1
    assert set(db.session.scalars(sa.select(OutboxMessage.user_id))) == {staff.id}
    assert sweep(at("2026-11-23T13:00+07:00"))["escalation"] == 1
    assert set(db.session.scalars(sa.select(OutboxMessage.user_id))) == {staff.id, head.id}


def test_the_daily_digest_tells_each_head_of_the_late_steps_of_their_units_cases_only(make_user, smtp_server):
    """The 07:00 digest: one e-mail a day per head, naming the late steps of their own units' cases
    (service, step, link; no content, no name), never of a case that serves them; none when none."""
    from jobs.digest import send_digest

    puspaga, karier = make_user("head", units=["PUSPAGA"]), make_user("head", email="karier@test.id", units=["P2KLLK"])
    served = make_user("client", "head", units=["PUSPAGA"])
    staff = make_user("staff", units=["PUSPAGA"])
    for subject in (make_user("client", units=["PUSPAGA"], name="Ibu Rahasia"), served):
        open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "orang tua", "phone": "0812"},
                  subject=subject, now=at("2026-11-23T08:00+07:00"))
    db.session.commit()
    assert send_digest(at("2026-11-23T08:10+07:00")) == 0  # nothing late yet
    assert send_digest(at("2026-11-24T07:00+07:00")) == 2
    db.session.commit()
    assert send_digest(at("2026-11-24T07:05+07:00")) == 0  # once a day
    told = {m.user_id: m for m in db.session.scalars(sa.select(OutboxMessage))}
    assert set(told) == {puspaga.id, served.id}  # not the other unit's head
    assert told[puspaga.id].subject == "Ringkasan harian: 2 langkah terlambat"
    assert told[served.id].subject == "Ringkasan harian: 1 langkah terlambat"  # not their own case
    assert "Konseling" in told[puspaga.id].body and "Ibu Rahasia" not in told[puspaga.id].body


def test_a_team_member_moved_to_another_unit_hears_no_more_of_its_steps(app, make_user):
    """Notices follow can_act: the counselor serving a PUSPAGA case, once moved to another unit, is
    no longer told of its steps (nor is any other counselor: the role stays the team's)."""
    from app.org.models import Unit
    from app.org.services import set_user_units

    case, mine, other = claimed_puspaga_case(make_user)
    with app.test_request_context():
        set_user_units(mine, [db.session.scalar(sa.select(Unit.id).where(Unit.code == "P2KLLK"))])
    db.session.commit()
    assert sweep(at("2026-11-23T08:35+07:00"))["reminder"] == 1
    assert not set(db.session.scalars(sa.select(OutboxMessage.user_id))) & {mine.id, other.id}
