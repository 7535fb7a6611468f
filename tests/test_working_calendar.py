"""Deadlines land where a person with a calendar would put them (issue 4's rules)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from app.sop.calendar import WorkingCalendar
from app.sop.durations import DurationError, parse_duration

CAL = WorkingCalendar()


def due(start: str, text: str, wall_clock: bool = False, calendar: WorkingCalendar = CAL) -> str:
    return calendar.local(calendar.due(datetime.fromisoformat(start), parse_duration(text, wall_clock))).isoformat()


@pytest.mark.parametrize(("start", "duration", "expected"), [
    # menit/jam count working minutes only
    ("2026-11-20T15:50", "30 menit", "2026-11-23T08:20:00+07:00"),  # Friday → Monday
    ("2026-05-29T15:50", "30 menit", "2026-06-02T08:20:00+07:00"),  # Monday 1 June: Hari Lahir Pancasila
    ("2026-08-14T15:50", "30 Menit", "2026-08-18T08:20:00+07:00"),  # Monday 17 August
    ("2026-11-23T07:00", "1 jam", "2026-11-23T09:00:00+07:00"),     # before opening
    ("2026-11-23T15:00", "120 menit", "2026-11-24T09:00:00+07:00"),
    ("2026-03-17T15:00", "3 jam", "2026-03-25T10:00:00+07:00"),     # Nyepi and Idul Fitri with cuti bersama
    # hari counts working days at the same local time
    ("2026-11-20T10:00", "1 hari", "2026-11-23T10:00:00+07:00"),    # Friday → Monday
    ("2026-11-24T18:00", "1 hari", "2026-11-26T08:00:00+07:00"),    # Tuesday evening → Thursday opening
    ("2026-02-13T10:00", "1 hari", "2026-02-18T10:00:00+07:00"),    # cuti bersama Imlek (government category)
    ("2026-12-23T10:00", "1 hari", "2026-12-28T10:00:00+07:00"),    # cuti bersama Natal, Natal, weekend
    ("2026-11-23T09:00", "3 hari", "2026-11-26T09:00:00+07:00"),
    ("2026-11-21T11:00", "2 hari", "2026-11-25T08:00:00+07:00"),    # Saturday: from Monday's opening
    # minggu: calendar days, then the next opening
    ("2026-11-23T10:00", "1 minggu", "2026-11-30T10:00:00+07:00"),
    ("2026-03-11T10:00", "1 minggu", "2026-03-25T08:00:00+07:00"),  # lands on cuti bersama Nyepi
    ("2026-11-18T17:00", "1 minggu", "2026-11-26T08:00:00+07:00"),  # lands after closing
])
def test_due_times(start, duration, expected):
    assert due(start, duration) == expected


def test_wall_clock_counts_plain_elapsed_time():
    assert due("2026-11-21T23:59", "2 menit", wall_clock=True) == "2026-11-22T00:01:00+07:00"


def test_own_closures_and_corrections():
    closed_monday = WorkingCalendar(closed={date(2026, 11, 23): "Dies natalis"})
    assert due("2026-11-20T15:50", "30 menit", calendar=closed_monday) == "2026-11-24T08:20:00+07:00"
    works_on_holiday = WorkingCalendar(opened={date(2026, 6, 1)})
    assert due("2026-05-29T15:50", "30 menit", calendar=works_on_holiday) == "2026-06-01T08:20:00+07:00"


def test_office_hours_per_weekday_and_zone():
    friday_short = WorkingCalendar(office_hours={0: (t(8), t(16)), 4: (t(8), t(11))}, timezone="Asia/Makassar")
    # Monday and Friday only; Friday closes at 11:00 (WITA)
    assert friday_short.local(friday_short.due(datetime.fromisoformat("2026-11-20T10:30"),
                                               parse_duration("1 jam"))).isoformat() == "2026-11-23T08:30:00+08:00"


def t(hour):
    from datetime import time

    return time(hour)


def test_working_minutes_between():
    assert CAL.working_minutes_between(datetime.fromisoformat("2026-11-20T15:00+07:00"),
                                       datetime.fromisoformat("2026-11-23T09:00+07:00")) == 120


@pytest.mark.parametrize("text", ["", "tiga hari", "3 tahun", "0 menit", "-1 jam", "1"])
def test_unreadable_durations_are_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_calendar_due_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "due", "2026-11-20T15:50", "30", "menit"])
    assert result.exit_code == 0 and result.output.strip() == "2026-11-23T08:20:00+07:00"
    result = runner.invoke(args=["calendar", "due", "2026-11-20T10:00+07:00", "1 hari"])
    assert result.output.strip() == "2026-11-23T10:00:00+07:00"
    wall = runner.invoke(args=["calendar", "due", "2026-11-21T10:00", "2 menit", "--wall-clock"])
    assert wall.output.strip() == "2026-11-21T10:02:00+07:00"
    bad = runner.invoke(args=["calendar", "due", "kemarin", "1 hari"])
    assert bad.exit_code == 1 and "tidak terbaca" in bad.output
    bad = runner.invoke(args=["calendar", "due", "2026-11-20T10:00", "2 tahun"])
    assert bad.exit_code == 1 and "tidak terbaca" in bad.output


def test_a_closure_moves_what_waits_in_tugas_saya(app, login_as, make_user):
    """An office closure added on the day a step is due moves its deadline, and "Tugas saya" (which
    reads the kept open work) shows the new one."""
    from datetime import timezone

    import sqlalchemy as sa

    from app.extensions import db
    from app.sop.models import OpenTask
    from app.sop.registry import get_procedure
    from app.sop.services import my_tasks, open_case

    admin, _admin = login_as("admin")
    staff = make_user("staff")
    monday = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 09.00 WIB
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"),
                     {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}, now=monday)
    db.session.commit()
    row = case.step_row("izin_tu")
    before = row.due_at
    assert admin.submit("/admin/calendar", {"day": "2026-11-02", "open": "closed", "reason": "Cuti bersama"}
                        ).status_code == 302
    db.session.expire_all()
    assert row.due_at > before and row.due_at.date() == date(2026, 11, 3)
    assert db.session.scalar(sa.select(OpenTask.due_at).where(OpenTask.case_step_id == row.id)) == row.due_at
    assert [(task.id, task.due_at) for task in my_tasks(staff)] == [(row.id, row.due_at)]
