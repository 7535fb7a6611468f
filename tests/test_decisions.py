"""Decisions and going back: a step's outcomes (go on, go back with a note, skip, close), every
pass kept as history with its own deadline, the letter issued only on the outcome that issues it,
the compliance report counting each pass, and `flask sop check` refusing outcomes that go nowhere."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.documents.models import Letter
from app.extensions import db
from app.reports.services import compliance
from app.sop.definitions import DefinitionError, parse
from app.sop.models import CaseState, CaseStep, StepState
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case

WIB = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)

PROCEDURE = """
code: tes-keputusan
title: Surat tugas panitia
source: uji
open_roles: [staff]
fields:
  - {key: panitia, label: Panitia}
steps:
  - key: usulan
    title: P2KLLK mengajukan usulan surat tugas
    roles: [staff]
    duration: 1 hari
    inputs:
      - {key: draft, label: Usulan}
  - key: persetujuan
    title: Rektorat menyetujui surat tugas
    roles: [rectorate]
    duration: 1 hari
    decision: keputusan
    outcomes:
      dikembalikan untuk perbaikan: back:usulan
      ditolak: close
      dipercepat: skip:laporan
    document: {type: surat_tugas, issued_on: [disetujui, dipercepat]}
    inputs:
      - {key: keputusan, label: Keputusan, type: choice, options: [disetujui, dikembalikan untuk perbaikan, ditolak, dipercepat]}
      - {key: catatan, label: Catatan perbaikan, type: textarea, required: false}
  - key: persiapan
    title: Panitia mempersiapkan
    roles: [staff]
  - key: laporan
    title: Laporan
    roles: [staff]
"""


@pytest.fixture
def procedure(app, tmp_path):
    (tmp_path / "tes-keputusan.yaml").write_text(PROCEDURE)
    app.config["SOP_PROCEDURES_DIR"] = str(tmp_path)
    yield get_procedure("tes-keputusan")
    app.config.pop("SOP_PROCEDURES_DIR")


@pytest.fixture
def people(make_user):
    return make_user("staff"), make_user("rectorate"), make_user("head")


def passes(case, key):
    return [(r.attempt, r.state.value) for r in case.steps if r.key == key]


def test_a_returned_proposal_goes_back_for_revision_and_issues_no_letter(procedure, people):
    staff, rector, _head = people
    case = open_case(procedure, staff, {"panitia": "Tim"}, now=MONDAY)
    complete_step(case, "usulan", staff, {"draft": "v1"}, now=MONDAY)
    returned_at = MONDAY + timedelta(hours=3)
    complete_step(case, "persetujuan", rector, {"keputusan": "dikembalikan untuk perbaikan",
                                                "catatan": "Lengkapi NIP anggota"}, now=returned_at)
    db.session.commit()
    assert passes(case, "usulan") == [(1, "done"), (2, "active")]
    assert passes(case, "persetujuan") == [(1, "done"), (2, "pending")]
    again = case.step_row("usulan")
    assert again.active_at == returned_at and again.due_at > returned_at  # a new deadline from the return
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0  # nothing numbered
    complete_step(case, "usulan", staff, {"draft": "v2"}, now=returned_at + timedelta(hours=1))
    complete_step(case, "persetujuan", rector, {"keputusan": "disetujui"}, now=returned_at + timedelta(hours=2))
    db.session.commit()
    assert [letter.doc_type for letter in db.session.scalars(sa.select(Letter))] == ["surat_tugas"]
    assert case.step_row("persiapan").state == StepState.ACTIVE
    # Every pass is counted by the compliance report.
    report = compliance(date(2026, 11, 1), date(2026, 11, 30), code="tes-keputusan", now=MONDAY + timedelta(days=1))
    figures = {row.key: row.done for row in report.rows["tes-keputusan"]}
    assert figures["usulan"] == 2 and figures["persetujuan"] == 2


def test_a_page_shows_the_history_of_passes(app, procedure, people):
    staff, rector, head = people
    case = open_case(procedure, staff, {"panitia": "Tim"}, now=MONDAY)
    complete_step(case, "usulan", staff, {"draft": "v1"}, now=MONDAY)
    complete_step(case, "persetujuan", rector, {"keputusan": "dikembalikan untuk perbaikan", "catatan": "Revisi"},
                  now=MONDAY)
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": head.email, "password": "rahasia123"})
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "dikembalikan ke langkah 1" in page and "putaran 2" in page and "Revisi" in page


def test_close_and_skip_outcomes(procedure, people):
    staff, rector, _head = people
    refused = open_case(procedure, staff, {"panitia": "Tim"}, now=MONDAY)
    complete_step(refused, "usulan", staff, {"draft": "v1"}, now=MONDAY)
    complete_step(refused, "persetujuan", rector, {"keputusan": "ditolak"}, now=MONDAY)
    assert refused.state == CaseState.CLOSED
    assert [r.state.value for r in refused.current_steps()] == ["done", "done", "skipped", "skipped"]
    fast = open_case(procedure, staff, {"panitia": "Tim"}, now=MONDAY)
    complete_step(fast, "usulan", staff, {"draft": "v1"}, now=MONDAY)
    complete_step(fast, "persetujuan", rector, {"keputusan": "dipercepat"}, now=MONDAY)
    assert [r.state.value for r in fast.current_steps()] == ["done", "done", "skipped", "active"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseStep)) == 8  # no pass added on close or skip


@pytest.mark.parametrize("outcomes, message", [
    ("{dikembalikan: back:tidak_ada}", "langkah 'tidak_ada' tidak ada"),
    ("{dikembalikan: back:akhir}", "back harus ke langkah sebelumnya"),
    ("{dikembalikan: skip:awal}", "skip harus ke langkah sesudahnya"),
    ("{lain: next}", "'lain' bukan pilihan keputusan"),
    ("{dikembalikan: kembali}", "harus next, close, back:<langkah> atau skip:<langkah>"),
    ("{dikembalikan: back:awal, disetujui: back:awal}", "kasus tidak pernah bisa lanjut"),
])
def test_sop_check_refuses_outcomes_that_go_nowhere(outcomes, message):
    text = f"""
code: tes-salah
title: Salah
source: uji
open_roles: [staff]
steps:
  - {{key: awal, title: Awal, roles: [staff]}}
  - key: putusan
    title: Putusan
    roles: [head]
    decision: keputusan
    outcomes: {outcomes}
    inputs:
      - {{key: keputusan, label: Keputusan, type: choice, options: [disetujui, dikembalikan]}}
  - {{key: akhir, title: Akhir, roles: [staff]}}
"""
    with pytest.raises(DefinitionError) as caught:
        parse(text, "salah.yaml")
    assert any(message in error and error.startswith("salah.yaml:") for error in caught.value.errors), caught.value.errors


LETTER_TO_ROLE = """
code: tes-pemberitahuan
title: Pemberitahuan
source: uji
open_roles: [head]
steps:
  - key: pemberitahuan
    title: Panitia memberi tahu kaprodi
    roles: [committee]
    document: {type: surat_pemberitahuan, to: ["role:kaprodi"]}
"""


def test_a_letter_goes_to_the_recipients_its_step_names_with_links_only_they_can_open(app, make_user, tmp_path):
    """`document: {type: surat_pemberitahuan, to: ["role:kaprodi"]}`: every active kaprodi gets the
    PDF; the case link (which would answer them 404) is left out of their e-mail. (The minat-bakat
    procedure itself writes one letter per prodi from its workshop_announce screen instead.)"""
    from app.notifications.models import OutboxMessage

    (tmp_path / "tes-pemberitahuan.yaml").write_text(LETTER_TO_ROLE)
    app.config["SOP_PROCEDURES_DIR"] = str(tmp_path)
    try:
        head, committee = make_user("head"), make_user("committee")
        kaprodi = [make_user("kaprodi", email=f"kaprodi{i}@test.id") for i in range(2)]
        make_user("kaprodi", email="nonaktif@test.id", active=False)
        case = open_case(get_procedure("tes-pemberitahuan"), head, {}, now=MONDAY)
        complete_step(case, "pemberitahuan", committee, {}, now=MONDAY)
        db.session.commit()
    finally:
        app.config.pop("SOP_PROCEDURES_DIR")
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.key.like("letter:%"),
                                                              OutboxMessage.subject.ilike("%pemberitahuan%"))).all()
    assert sorted(m.recipient for m in mails) == sorted(k.email for k in kaprodi)
    assert all("/cases/" not in m.body and "/verify/" in m.body for m in mails)


def test_sop_check_refuses_an_unknown_letter_recipient():
    text = """
code: tes-penerima
title: Penerima
source: uji
open_roles: [staff]
steps:
  - key: surat
    title: Surat
    roles: [staff]
    document: {type: surat_tugas, to: ["role:tidak_ada", somebody]}
"""
    with pytest.raises(DefinitionError) as caught:
        parse(text, "penerima.yaml")
    assert sum("penerima '" in e for e in caught.value.errors) == 2, caught.value.errors
