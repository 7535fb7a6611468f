"""The compliance figures kept as steps are done (app/reports/rollups.py) are the figures counted
directly from the steps: over whole months, partial months, single days and a year, with passes
sent back and done again; rebuilt from the steps they are the same rows; and they are written in
the transaction that completes the step (rolled back with it)."""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.reports.models import StepRollup
from app.reports.rollups import rebuild, tallies
from app.reports.services import compliance
from app.sop.models import Case, CaseStep, StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from tests.test_decisions import PROCEDURE

KARIER = {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def procedure(app, tmp_path):
    (tmp_path / "tes-keputusan.yaml").write_text(PROCEDURE)
    app.config["SOP_PROCEDURES_DIR"] = str(tmp_path)
    yield get_procedure("tes-keputusan")
    app.config.pop("SOP_PROCEDURES_DIR")


def direct(start: date, end: date) -> dict:
    """The figures counted from the steps themselves: nearest-rank median and P90 over every
    pass done in the period, passes without a duration ranked last."""
    lo = datetime.combine(start, time.min, WIB)
    hi = datetime.combine(end + timedelta(days=1), time.min, WIB)
    rows = db.session.execute(sa.select(Case.code, CaseStep.key, CaseStep.duration_minutes, CaseStep.due_at,
                                        CaseStep.done_at, CaseStep.standard_minutes).join(Case)
                              .where(CaseStep.state == StepState.DONE, CaseStep.done_at >= lo,
                                     CaseStep.done_at < hi)).all()
    groups: dict = {}
    for code, key, minutes, due_at, done_at, standard in rows:
        groups.setdefault((code, key), []).append((minutes, due_at, done_at, standard))
    figures = {}
    for group, passes in groups.items():
        ranked = sorted(passes, key=lambda p: (p[0] is None, p[0] or 0))
        n = len(ranked)
        figures[group] = (n, sum(p[1] is not None for p in passes),
                          sum(p[1] is not None and p[2] <= p[1] for p in passes),
                          ranked[math.ceil(n / 2) - 1][0], ranked[math.ceil(9 * n / 10) - 1][0],
                          max((p[3] for p in passes if p[3] is not None), default=None))
    return figures


def kept(start: date, end: date) -> dict:
    return {group: (t.done, t.timed, t.on_time, t.median, t.p90, t.standard)
            for group, t in tallies(start, end, ["pgri-konseling-karier", "tes-keputusan"]).items() if t.done}


@pytest.fixture
def history(app, make_user, procedure):
    """Career cases over three months at random hours (some before 07.00 WIB, the previous UTC
    day) with random durations, and proposals sent back once and done again."""
    rng = random.Random(15)
    alumnus, staff, rector = make_user("alumni"), make_user("staff"), make_user("rectorate")
    start = datetime(2026, 9, 28, tzinfo=timezone.utc)
    for i in range(40):
        opened = start + timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23))
        case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened)
        complete_step(case, "izin_tu", staff, {}, now=opened + timedelta(minutes=rng.choice([5, 30, 30, 61, 400])))
        if i % 3 == 0:
            complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=opened + timedelta(days=rng.randint(1, 40)))
    for opened in (datetime(2026, 11, 3, 2, tzinfo=timezone.utc), datetime(2026, 11, 2, 23, 30, tzinfo=timezone.utc)):
        case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened)
        complete_step(case, "izin_tu", staff, {}, now=opened + timedelta(minutes=20))  # 3 November in WIB
    for i in range(6):
        opened = start + timedelta(days=rng.randint(0, 80))
        case = open_case(procedure, staff, {"panitia": "Tim"}, now=opened)
        complete_step(case, "usulan", staff, {"draft": "v1"}, now=opened + timedelta(hours=1))
        complete_step(case, "persetujuan", rector, {"keputusan": "dikembalikan untuk perbaikan"},
                      now=opened + timedelta(hours=3))
        complete_step(case, "usulan", staff, {"draft": "v2"}, now=opened + timedelta(days=i))
        complete_step(case, "persetujuan", rector, {"keputusan": "disetujui"}, now=opened + timedelta(days=i, hours=2))
    db.session.commit()


PERIODS = [(date(2026, 10, 1), date(2026, 10, 31)), (date(2026, 9, 1), date(2026, 12, 31)),
           (date(2026, 10, 15), date(2026, 11, 20)), (date(2026, 11, 3), date(2026, 11, 3)),
           (date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 9, 30), date(2026, 11, 1))]


@pytest.mark.parametrize("start, end", PERIODS)
def test_kept_figures_are_the_direct_count(history, start, end):
    expected = direct(start, end)
    assert expected  # the period has passes
    assert kept(start, end) == expected
    if start == end:
        assert expected[("pgri-konseling-karier", "izin_tu")][0] >= 2  # both on 3 November in WIB


def test_each_pass_of_a_step_sent_back_counts(history):
    figures = kept(date(2026, 9, 1), date(2026, 12, 31))
    assert figures[("tes-keputusan", "usulan")][0] == 12 and figures[("tes-keputusan", "persetujuan")][0] == 12


def test_rebuild_yields_the_same_rollups(history):
    def rows():
        db.session.expire_all()
        return sorted((r.grain, r.start, r.code, r.key, r.done, r.timed, r.on_time, r.unknown, r.standard, r.minutes)
                      for r in db.session.scalars(sa.select(StepRollup)))

    before = rows()
    db.session.execute(sa.update(StepRollup).values(done=0, minutes=b""))
    assert rows() != before
    assert rebuild() == sum(r[4] for r in before if r[0] == "day")
    db.session.commit()
    assert rows() == before


def test_the_report_reads_the_rollups_and_the_cli_rebuilds_them(app, history):
    report = compliance(date(2026, 9, 1), date(2026, 12, 31), code="pgri-konseling-karier")
    assert next(r for r in report.rows["pgri-konseling-karier"] if r.key == "izin_tu").done == 42
    db.session.execute(sa.delete(StepRollup))
    db.session.commit()
    report = compliance(date(2026, 9, 1), date(2026, 12, 31), code="pgri-konseling-karier")
    assert next(r for r in report.rows["pgri-konseling-karier"] if r.key == "izin_tu").done == 0
    result = app.test_cli_runner().invoke(args=["reports", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    report = compliance(date(2026, 9, 1), date(2026, 12, 31), code="pgri-konseling-karier")
    assert next(r for r in report.rows["pgri-konseling-karier"] if r.key == "izin_tu").done == 42


def test_a_step_rolled_back_leaves_no_figure(app, make_user):
    alumnus, staff = make_user("alumni"), make_user("staff")
    opened = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened)
    db.session.commit()
    complete_step(case, "izin_tu", staff, {}, now=opened + timedelta(minutes=20))
    assert kept(date(2026, 11, 23), date(2026, 11, 23))[("pgri-konseling-karier", "izin_tu")][0] == 1
    db.session.rollback()
    assert kept(date(2026, 11, 23), date(2026, 11, 23)) == {}
