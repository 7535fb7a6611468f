"""SOP compliance: figures counted by hand match; late cases listed; XLSX and CLI agree; the
page keeps a constant number of queries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO
import re

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case

KARIER = {"nim": "1", "prodi": "P", "phone": "0812", "mode": "online", "question": "Q"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@pytest.fixture
def history(app, make_user):
    """Four career cases opened Monday 23 November 2026 09:00 WIB; TU acknowledged them after
    30, 45 and 90 working minutes (the standard is 1 jam); the fourth is still waiting."""
    alumnus, staff = make_user("alumni"), make_user("staff")
    opened = at("2026-11-23T09:00+07:00")
    for minutes in (30, 45, 90):
        case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened)
        complete_step(case, "izin_tu", staff, {}, now=opened + timedelta(minutes=minutes))
    waiting = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened)
    db.session.commit()
    return waiting


def figures(report, key):
    return next(r for r in report.rows["pgri-konseling-karier"] if r.key == key)


def test_figures_match_a_count_by_hand(history):
    from app.reports.services import compliance

    report = compliance(at("2026-11-01T00:00+07:00").date(), at("2026-11-30T00:00+07:00").date(),
                        code="pgri-konseling-karier", now=at("2026-11-23T12:00+07:00"))
    first = figures(report, "izin_tu")
    assert (first.done, first.timed, first.on_time, first.on_time_pct) == (3, 3, 2, 66.7)
    assert (first.median, first.p90, first.standard) == (45, 90, 60)
    assert first.late_now == 1
    second = figures(report, "form_permohonan")
    assert second.done == 0 and second.late_now == 3  # each became active and is now overdue
    assert [r.case_id for r in report.late if r.position == 1] == [history.id]


def test_period_filter(history):
    from app.reports.services import compliance

    report = compliance(at("2026-12-01T00:00+07:00").date(), at("2026-12-31T00:00+07:00").date(),
                        now=at("2026-11-23T12:00+07:00"))
    assert figures(report, "izin_tu").done == 0


def test_page_xlsx_and_cli_agree(history, login_as, app, tmp_path):
    client, _ = login_as("head")
    page = client.get("/reports/compliance?from=2026-11-01&to=2026-11-30&code=pgri-konseling-karier")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2/3 (66,7%)" in html and "<svg" in html
    assert f"/cases/{history.id}" in html
    xlsx = client.get("/reports/compliance.xlsx?from=2026-11-01&to=2026-11-30&code=pgri-konseling-karier")
    sheet = load_workbook(BytesIO(xlsx.data)).active
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "pgri-konseling-karier" and r[1] == 1)
    assert row[3:10] == (3, 3, 2, 66.7, 45, 90, 60)
    path = tmp_path / "laporan.xlsx"
    result = app.test_cli_runner().invoke(args=["reports", "compliance", "--from", "2026-11-01", "--to", "2026-11-30",
                                                "--xlsx", str(path)])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.output.splitlines() if l.startswith("pgri-konseling-karier\t1\t"))
    assert line.split("\t")[3:10] == ["3", "3", "2", "66.7", "45", "90", "60"]
    assert load_workbook(path).active.max_row >= 3


def test_end_before_start_is_refused_clearly(login_as, app):
    client, _ = login_as("admin")
    response = client.get("/reports/compliance?from=2026-11-30&to=2026-11-01")
    assert response.status_code == 422 and "sebelum tanggal awal" in response.get_data(as_text=True)
    bad = client.get("/reports/compliance?from=kemarin")
    assert bad.status_code == 422 and "tidak valid" in bad.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["reports", "compliance", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert result.exit_code == 1 and "sebelum tanggal awal" in result.output


def test_constant_queries_whatever_the_number_of_cases(app, login_as, make_user, sql):
    client, _ = login_as("head")
    alumnus, staff = make_user("alumni"), make_user("staff")

    def queries() -> int:
        with sql() as ran:
            assert client.get("/reports/compliance?from=2026-01-01&to=2026-12-31").status_code == 200
        return len(ran)

    def add(n):
        for _ in range(n):
            case = open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER))
            complete_step(case, "izin_tu", staff, {})
        db.session.commit()

    add(1)
    few = queries()
    add(20)
    assert queries() == few


def test_page_says_durations_in_working_hours_in_the_page_and_its_fragment(history, login_as):
    client, _ = login_as("head")
    url = "/reports/compliance?from=2026-11-01&to=2026-11-30&code=pgri-konseling-karier"
    for response in (client.get(url), client.get(url, headers={"HX-Request": "true"})):
        html = response.get_data(as_text=True)
        assert response.status_code == 200, html
        # 45, 90 and 60 working minutes, as hours with the Indonesian decimal comma
        assert 'data-label="Median (jam kerja)">0,75<' in html
        assert 'data-label="P90 (jam kerja)">1,5<' in html
        assert 'data-label="Baku mutu (jam kerja)">1<' in html
        assert "menit kerja" not in html and "Waktu dihitung dalam jam kerja" in html
    assert 'id="report-loading"' in client.get(url).get_data(as_text=True)  # shown while the figures reload


def test_a_head_sees_the_procedures_and_late_cases_of_their_own_units(history, login_as, app):
    """A PUSPAGA head reads neither the career service's figures nor its late cases (other units'
    case numbers and steps); a head of the career unit and the quality office (admin) do."""
    report = "/reports/compliance?from=2026-11-01&to=2026-11-30"
    puspaga, _ = login_as("head", units=["PUSPAGA"])
    page = puspaga.get(report).get_data(as_text=True)
    assert "Layanan Konseling Karier" not in page and f"/cases/{history.id}" not in page
    sheet = load_workbook(BytesIO(puspaga.get(report.replace("compliance?", "compliance.xlsx?")).data))
    assert not any("pgri-konseling-karier" in str(row) for ws in sheet.worksheets for row in ws.iter_rows(values_only=True))
    for roles, units in ((("head",), ["P2KLLK"]), (("admin",), [])):
        client, _ = login_as(*roles, units=units)
        page = client.get(report).get_data(as_text=True)
        assert "Layanan Konseling Karier" in page and f"/cases/{history.id}" in page, roles


def test_the_page_lists_the_steps_late_longest_and_the_spreadsheet_them_all(app, login_as, make_user):
    """Sixty steps late: the page names how many, lists the fifty late longest (first, above the
    figures) and points to the spreadsheet, whose sheet holds all sixty."""
    alumnus = make_user("alumni")
    opened = at("2026-11-02T09:00+07:00")
    cases = [open_case(get_procedure("pgri-konseling-karier"), alumnus, dict(KARIER), now=opened + timedelta(minutes=i))
             for i in range(60)]
    db.session.commit()
    client, _head = login_as("head")
    page = client.get("/reports/compliance?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    late = page[page.index('id="late"'):page.index("</section>", page.index('id="late"'))]
    assert "Terlambat sekarang (60)" in late and "50 dari 60" in late
    listed = [int(n) for n in re.findall(r'href="/cases/(\d+)"', late)]
    assert listed == [c.id for c in cases[:50]]  # late longest first
    assert page.index('id="late"') < page.index("Rincian per langkah")
    book = load_workbook(BytesIO(client.get("/reports/compliance.xlsx?from=2026-11-01&to=2026-11-30").data))
    assert book["Terlambat kini"].max_row == 61  # the header and every late step
