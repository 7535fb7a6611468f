"""At scale: an escalation to a role many people hold is written in a handful of statements, still
once per person and channel; archiving deletes only delivered or withdrawn messages older than
the retention, and never what the compliance report needs."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.notifications.models import Channel, OutboxMessage, OutboxStatus
from app.notifications.services import archive_outbox, enqueue
from app.reports.services import compliance
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from app.sop.notices import sweep

KARIER = {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}
OPENED = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 09.00 WIB


def test_an_escalation_to_many_heads_is_a_few_statements_once_each(app, make_user, sql):
    heads = [make_user("head", notify_whatsapp=(i % 2 == 0), phone="0812" if i % 2 == 0 else None)
             for i in range(30)]
    alumnus = make_user("alumni")
    cases = [open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=OPENED) for _ in range(3)]
    db.session.commit()
    with sql() as ran:
        late = OPENED + timedelta(days=3)  # long past the escalation of the first step
        counts = sweep(late)
        db.session.commit()
        again = sweep(late + timedelta(hours=1))
        db.session.commit()
    inserts = [s for s in ran if s.lstrip().upper().startswith("INSERT INTO OUTBOX_MESSAGES")]
    assert counts["escalation"] == 3 and again["escalation"] == 0
    assert len(inserts) <= 3  # one per notice, not one per person (the old sweep: 3 × 45)
    keys = db.session.scalars(sa.select(OutboxMessage.key).where(OutboxMessage.key.like("notice:%"))).all()
    assert len(keys) == len(set(keys)) == 3 * (30 + 15)  # every head by e-mail, half also by WhatsApp
    for case in cases:
        row = case.step_row("izin_tu")
        for head in heads:
            assert f"notice:{row.id}:escalation:email:{head.id}" in keys


def _message(key: str, status: OutboxStatus, created: datetime) -> None:
    enqueue(Channel.EMAIL, "a@test.id", "isi", key, "subjek", now=created)
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.key == key).values(status=status))


def test_archive_deletes_only_old_delivered_or_withdrawn_messages(app):
    old, recent = datetime(2025, 1, 10, tzinfo=timezone.utc), datetime(2026, 11, 1, tzinfo=timezone.utc)
    for status in OutboxStatus:
        _message(f"old-{status.value}", status, old)
        _message(f"recent-{status.value}", status, recent)
    db.session.commit()
    assert archive_outbox(date(2026, 1, 1)) == 2
    db.session.commit()
    left = set(db.session.scalars(sa.select(OutboxMessage.key)))
    assert left == {f"recent-{s.value}" for s in OutboxStatus} | {"old-pending", "old-failed", "old-unsendable"}


def test_archive_command_follows_the_retention_setting(app, make_user):
    alumnus, staff = make_user("alumni"), make_user("staff")
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=OPENED)
    complete_step(case, "izin_tu", staff, {}, now=OPENED + timedelta(minutes=30))
    _message("lama", OutboxStatus.SENT, datetime(2025, 6, 1, tzinfo=timezone.utc))
    db.session.commit()
    runner = app.test_cli_runner()
    with time_machine.travel(datetime(2026, 11, 24, tzinfo=timezone.utc), tick=False):
        kept = runner.invoke(args=["data", "archive"])  # no retention set: keep everything
        assert kept.exit_code == 0 and "semua data disimpan" in kept.output
        too_soon = runner.invoke(args=["data", "archive", "--before", "2026-11-20"])
        assert too_soon.exit_code == 1 and "minimal 30 hari" in too_soon.output
        app.config["OUTBOX_RETENTION_DAYS"] = 365
        try:
            result = runner.invoke(args=["data", "archive"])
        finally:
            app.config["OUTBOX_RETENTION_DAYS"] = None
    assert result.exit_code == 0 and "1 pesan" in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.key == "lama")) == 0
    report = compliance(date(2026, 11, 1), date(2026, 11, 30), code="pgri-konseling-karier")
    assert next(r for r in report.rows["pgri-konseling-karier"] if r.key == "izin_tu").done == 1
