"""IPDN BK praja: the person registered as the case's subject, the intake and plan shared with the
kasubbag and the kepala unit, supervision over three days — a repeated step, one pass a day, each
with its progress report, deadline and reminder — then the counselor's review, the written report
to leadership, the rector's disposisi carried out by the kepala unit, and the archive. The engine's
`repeat` and `remind_before` are checked by `flask sop check`."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.dispositions.services import carry_out, chain_of, give_disposition
from app.errors import DomainError
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.sop.definitions import DefinitionError, parse
from app.sop.models import Case, CaseState, Notice, StepState
from app.sop.notices import sweep
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)


@pytest.fixture
def people(app, make_user):
    roles = {"staff": "staff", "counselor": "counselor", "kasubbag": "kasubbag", "head": "head",
             "related": "related_unit", "rector": "rectorate", "praja": "student"}
    return {who: make_user(role, name=f"Orang {who}", employee_number="NPP-33.0912" if who == "praja" else None)
            for who, role in roles.items()}


def bk_case(people, now=MONDAY):
    p = people
    case = open_case(get_procedure("ipdn-bk-praja"), p["staff"], {
        "source": "laporan bagian/unit", "reporting_unit": "Bagian Pengasuhan", "level": "Madya Praja",
        "reason": "Sering tidak mengikuti apel."}, subject=p["praja"], now=now)
    for key, actor, values in [
            ("pendataan", p["staff"], {"registration": "Formulir lengkap."}),
            ("kedatangan", p["staff"], {"arrived_at": datetime(2026, 11, 23, 9, 30)}),
            ("intake", p["counselor"], {"biodata": "Lahir 2004.", "prognosis": "Baik."}),
            ("rencana_kasubbag", p["counselor"], {"plan": "Konseling mingguan."}),
            ("rencana_kepala", p["kasubbag"], {}),
            ("rencana_pengawasan", p["head"], {"related_unit_name": "Bagian Pengasuhan",
                                               "supervision_plan": "Amati kehadiran apel dan kelas."})]:
        complete_step(case, key, actor, values, now=now)
    db.session.commit()
    return case


def test_the_person_is_the_subject(people):
    case = bk_case(people)
    assert case.subject.name == "Orang praja" and case.subject.employee_number == "NPP-33.0912"
    assert case.data["level"] == "Madya Praja"


def test_three_supervision_days_each_with_its_report_deadline_and_reminder(people):
    p = people
    case = bk_case(p)
    moment = MONDAY
    for day in (1, 2, 3):
        row = case.step_row("pengawasan")
        assert row.state == StepState.ACTIVE and row.attempt == day
        assert row.title.endswith(f"(hari ke-{day} dari 3)")
        assert row.due_at is not None and row.due_at > moment and row.remind_at is not None
        counts = sweep(row.remind_at)  # reminded each day
        db.session.commit()
        assert counts["reminder"] == 1
        moment = row.remind_at + timedelta(minutes=5)
        complete_step(case, "pengawasan", p["related"], {"progress": f"Hari {day}: hadir apel."}, now=moment)
        db.session.commit()
    passes = [r for r in case.steps if r.key == "pengawasan"]
    assert [r.state for r in passes] == [StepState.DONE] * 3
    assert [r.done_by_id for r in passes] == [p["related"].id] * 3
    assert db.session.scalar(db.select(db.func.count(Notice.id)).where(
        Notice.case_step_id.in_([r.id for r in passes]), Notice.kind == "reminder")) == 3
    assert case.step_row("teruskan_hasil").state == StepState.ACTIVE
    reminded = db.session.scalars(db.select(OutboxMessage.recipient).where(OutboxMessage.key.like("notice:%"))).all()
    assert reminded.count(p["related"].email) == 3


def test_the_whole_case_to_the_archive(people):
    p = people
    case = bk_case(p)
    for _day in range(3):
        complete_step(case, "pengawasan", p["related"], {"progress": "Baik."}, now=MONDAY)
    complete_step(case, "teruskan_hasil", p["kasubbag"], {}, now=MONDAY)
    complete_step(case, "telaah", p["counselor"], {"review": "Perkembangan baik."}, now=MONDAY)
    complete_step(case, "laporan_pimpinan", p["head"], {"leadership_report": "Praja membaik."}, now=MONDAY)
    give_disposition(case, p["rector"], p["head"].id, ["ditindaklanjuti"], "Lanjutkan pembinaan.",
                     date(2026, 11, 26), now=MONDAY)
    carry_out(case, p["head"], "Pembinaan dilanjutkan oleh pengasuh.", now=MONDAY)
    complete_step(case, "arsip", p["staff"], {}, now=MONDAY)
    db.session.commit()
    assert case.state == CaseState.CLOSED
    (only,) = chain_of(case)
    assert (only.from_user_id, only.to_user_id, only.done_by_id) == (p["rector"].id, p["head"].id, p["head"].id)


BASE = """
code: tes-ulang
title: Uji
source: uji
open_roles: [staff]
fields:
  - {key: at, label: Jadwal, type: datetime}
steps:
  - key: satu
    title: Satu
    roles: [staff]
"""


@pytest.mark.parametrize("extra, error", [
    ("    repeat: 1\n", "2 sampai 30"),
    ("    repeat: tiga\n", "2 sampai 30"),
    ("    repeat: {times: 3, label: hari}\n", "{n}"),
    ("    repeat: {times: 3, label: \"hari {x}\"}\n", "{n}"),
    ("    remind_before: 1 hari\n", "from: event"),
    ("    from: event:at\n    remind_before: kemarin\n", "tidak terbaca"),
])
def test_repeat_and_remind_before_are_checked(extra, error):
    with pytest.raises(DefinitionError, match=error):
        parse(BASE + extra)


def test_valid_repeat_and_reminder_parse():
    step = parse(BASE + "    from: event:at\n    remind_before: 2 jam\n    repeat: {times: 3, label: \"hari ke-{n}\"}\n").steps[0]
    assert step.repeat == 3 and step.remind_before.minutes == 120 and step.pass_title(2) == "Satu (hari ke-2)"


def test_the_case_page_shows_each_days_report_to_whom_it_is_granted(app, people):
    p = people
    case = bk_case(p)
    for day in (1, 2, 3):
        complete_step(case, "pengawasan", p["related"], {"progress": f"LAPORAN-HARI-{day}"}, now=MONDAY)
    db.session.commit()
    pages = {}
    for who in ("head", "kasubbag"):
        client = app.test_client()
        assert client.submit("/login", {"email": p[who].email, "password": "rahasia123"}).status_code == 302
        pages[who] = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert all(f"LAPORAN-HARI-{day}" in pages["head"] for day in (1, 2, 3))
    assert "LAPORAN-HARI" not in pages["kasubbag"]


def test_staff_register_a_praja_who_has_no_account_as_the_cases_subject(app, people):
    p = people
    client = app.test_client()
    assert client.submit("/login", {"email": p["staff"].email, "password": "rahasia123"}).status_code == 302
    form = {"source": "pengamatan staf Unit BK", "reporting_unit": "", "level": "Nindya Praja",
            "reason": "Terlihat murung selama dua minggu."}
    page = client.get("/cases/new/ipdn-bk-praja").get_data(as_text=True)
    assert "NPP" in page and "Orang praja" in page
    response = client.submit("/cases/new/ipdn-bk-praja", {**form, "new_name": "Andi Saputra", "new_number": "33.0777"})
    assert response.status_code == 302, response.get_data(as_text=True)
    case = db.session.scalar(db.select(Case).order_by(Case.id.desc()).limit(1))
    assert (case.subject.name, case.subject.employee_number, case.data["level"]) == ("Andi Saputra", "33.0777",
                                                                                    "Nindya Praja")
    assert case.subject.has_role("student") and not case.subject.notify_email
    # the same NPP again, a name with markup, nobody at all: refused with the reason, nothing written
    before = db.session.scalar(db.select(db.func.count(Case.id)))
    for bad, message in [({"new_name": "Andi Lagi", "new_number": "33.0777"}, "sudah terdaftar"),
                         ({"new_name": "<b>Andi</b>", "new_number": "33.0999"}, "Tuliskan nama"),
                         ({"new_name": "Andi", "new_number": ""}, "Tuliskan NPP"),
                         ({"new_name": "Andi", "new_number": "33.1", "new_email": "bukan-email"}, "tidak valid"),
                         ({}, "daftarkan orang baru")]:
        response = client.submit("/cases/new/ipdn-bk-praja", {**form, **bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True), bad
    assert db.session.scalar(db.select(db.func.count(Case.id))) == before


def test_bk_pegawai_runs_the_same_way(app, make_user):
    """The pegawai's procedure: the same steps, the person a pegawai registered with a NIP."""
    roles = {"staff": "staff", "counselor": "counselor", "kasubbag": "kasubbag", "head": "head",
             "related": "related_unit", "rector": "rectorate"}
    p = {who: make_user(role, name=f"Orang {who}") for who, role in roles.items()}
    procedure = get_procedure("ipdn-bk-pegawai")
    from app.org.models import Unit
    from app.sop.subjects import register_subject

    unit = db.session.scalar(db.select(Unit).where(Unit.code == "BK-IPDN"))
    with pytest.raises(DomainError, match="Tuliskan nama"):  # invisible characters are no name
        register_subject(procedure, unit, p["staff"], "\u200b\u3164", "19850101 201001 1 001")
    pegawai = register_subject(procedure, unit, p["staff"], "Hendra Wijaya", "19850101 201001 1 001")
    assert pegawai.has_role("employee") and procedure.register_subject == "NIP"
    case = open_case(procedure, p["staff"], {"source": "laporan bagian/unit", "level": "Biro Umum, analis",
                                             "reason": "Konflik kerja."}, subject=pegawai, unit=unit, now=MONDAY)
    for key, actor, values in [
            ("pendataan", "staff", {"registration": "Lengkap."}),
            ("kedatangan", "staff", {"arrived_at": datetime(2026, 11, 23, 10, 0)}),
            ("intake", "counselor", {"biodata": "B", "prognosis": "P"}), ("rencana_kasubbag", "counselor", {"plan": "R"}),
            ("rencana_kepala", "kasubbag", {}),
            ("rencana_pengawasan", "head", {"related_unit_name": "Biro Umum", "supervision_plan": "Pantau."}),
            ("pengawasan", "related", {"progress": "1"}), ("pengawasan", "related", {"progress": "2"}),
            ("pengawasan", "related", {"progress": "3"}), ("teruskan_hasil", "kasubbag", {}),
            ("telaah", "counselor", {"review": "Baik."}), ("laporan_pimpinan", "head", {"leadership_report": "L"})]:
        complete_step(case, key, p[actor], values, now=MONDAY)
    give_disposition(case, p["rector"], p["head"].id, ["diketahui"], "", date(2026, 11, 25), now=MONDAY)
    carry_out(case, p["head"], "Selesai dibina.", now=MONDAY)
    complete_step(case, "arsip", p["staff"], {}, now=MONDAY)
    db.session.commit()
    assert case.state == CaseState.CLOSED and case.subject.employee_number == "19850101 201001 1 001"
