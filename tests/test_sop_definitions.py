"""Procedure definitions: all ten load with the step counts of INTERFACE.md; errors are listed
with their places; an edited definition does not change running cases."""
from __future__ import annotations

import pytest

from app.sop.definitions import BUILTIN_DIR, DefinitionError, parse
from app.sop.registry import current_version, get_procedure, procedures

EXPECTED = {
    "pgri-konseling-karier": 7, "pgri-minat-bakat": 9, "unpam-konseling-online": 6, "ipdn-bk-praja": 13,
    "ipdn-bk-pegawai": 13, "ipdn-konseling-online-praja": 11, "ipdn-terapi": 11, "ik-konseling-rujukan": 7,
    "ik-konseling-inisiatif": 8, "puspaga-konseling": 12,
}


def test_all_procedures_load_with_their_step_counts(app):
    assert {code: len(p.steps) for code, p in procedures().items()} == EXPECTED


def test_sop_list_command(app):
    result = app.test_cli_runner().invoke(args=["sop", "list"])
    lines = dict((line.split("\t")[0], line.split("\t")) for line in result.output.strip().splitlines())
    assert {code: int(parts[1]) for code, parts in lines.items()} == EXPECTED
    assert lines["puspaga-konseling"][2] == "Layanan Konseling PUSPAGA"


def test_source_details_are_kept(app):
    karier = get_procedure("pgri-konseling-karier")
    first = karier.steps[0]
    assert (first.output, str(first.duration), first.roles) == ("Izin secara verbal", "1 jam", ("staff",))
    minat = get_procedure("pgri-minat-bakat")
    assert minat.steps[0].start == "event:panitia_ditetapkan" and str(minat.steps[0].duration) == "1 hari"
    assert minat.step("laporan").start == "event:hari_workshop" and str(minat.step("laporan").duration) == "1 minggu"
    # Bagan alir B: box 1 and box 2 are two acts by two actors; the letter only when approved;
    # "1 jam rapat" is the meeting's length, not a deadline.
    approve = minat.step("surat_tugas")
    assert minat.steps[0].roles == ("head", "staff") and approve.roles == ("rectorate",)
    assert approve.outcomes == {"dikembalikan untuk perbaikan": "back:usulan_surat_tugas"}
    assert approve.document_on == ("disetujui",) and minat.step("koordinasi").duration is None
    assert minat.step("penerusan_kaprodi").roles == ("kaprodi", "committee")
    unpam = get_procedure("unpam-konseling-online")
    assert unpam.steps[5].duration.wall_clock and unpam.steps[3].when == {"field": "mode", "equals": "online"}
    # Rows 1–5 are the student's own stages (wall clock), row 6 the app's notice; the counselor's
    # part has no row: it is the follow-up, closed by the counselor with a report.
    assert all(s.roles == ("subject",) and s.duration.wall_clock for s in unpam.steps[:5])
    assert unpam.steps[5].roles == ("system",) and unpam.steps[5].screen == {"name": "acknowledge"}
    assert unpam.follow_up.closed_by == ("counselor",) and unpam.follow_up.report.confidential
    assert unpam.follow_up.booking == {"summary": "E-konseling", "mode": "mode"}
    assert unpam.follow_up.preview == ("area", "mode")
    assert parse(FOLLOW_UP.format("{closed_by: [counselor], preview: [area]}"), "uji.yaml").follow_up.preview == ("area",)
    assert all(p.follow_up is None for code, p in procedures().items() if code != "unpam-konseling-online")
    praja = get_procedure("ipdn-konseling-online-praja")
    assert praja.step("rencana_kepala").roles == ("head",)  # row 4 sits in the Kepala Unit column
    assert praja.step("janji_video").screen["only"] == "online"
    rujukan = get_procedure("ik-konseling-rujukan")
    assert rujukan.step("surat_rujukan").when == {"field": "needs_external", "equals": "ya"}


def test_check_command_accepts_a_valid_file(app):
    result = app.test_cli_runner().invoke(args=["sop", "check", str(BUILTIN_DIR / "puspaga-konseling.yaml")])
    assert result.exit_code == 0 and "valid" in result.output


BROKEN = """\
code: Contoh Salah
title: Contoh
source: uji
steps:
  - key: satu
    title: Langkah satu
    roles: [penyihir]
    duration: 3 tahun
  - key: satu
    title: Langkah dua
    roles: [staff]
    from: event:tidak_ada
    inputs:
      - {key: pilihan, label: Pilihan, type: choice}
  - title: Tanpa kunci
    roles: []
    when: {field: belum_ada, equals: ya}
"""


def test_check_command_lists_every_error_with_its_place(app, tmp_path):
    path = tmp_path / "salah.yaml"
    path.write_text(BROKEN)
    result = app.test_cli_runner().invoke(args=["sop", "check", str(path)])
    assert result.exit_code == 1
    out = result.output
    for expected in [f"{path}:1: code: 'Contoh Salah'", f"{path}:5: steps[0].roles: peran 'penyihir' tidak dikenal",
                     f"{path}:5: steps[0].duration: waktu '3 tahun' tidak terbaca",
                     f"{path}:9: steps[1].key: 'satu' dipakai dua kali",
                     f"{path}:9: steps[1].from: peristiwa 'tidak_ada'",
                     f"{path}:14: steps[1].inputs[0].options: jenis choice memerlukan daftar options",
                     f"{path}:15: steps[2].key: wajib diisi", f"{path}:15: steps[2].roles: wajib menyebut",
                     f"{path}:15: steps[2].when: data 'belum_ada'"]:
        assert expected in out, expected
    assert "9 kesalahan" in out


@pytest.mark.parametrize("text, message", [
    ("code: [", "YAML tidak valid"),
    ("- satu\n- dua\n", "definisi harus berupa pemetaan"),
    ("code: a-b\ntitle: T\nsource: S\nsteps: []\n", "steps: wajib berisi minimal satu langkah"),
    ("code: a-b\ntitle: T\nsource: S\nsteps:\n  - {key: a, title: A, roles: [staff], subject_title: Isi}\n",
     "steps[0].subject_title: hanya untuk langkah yang dikerjakan penerima layanan"),
    ("code: a-b\ntitle: T\nsource: S\nsteps:\n  - {key: a, title: A, roles: [subject], subject_title: [Isi]}\n",
     "steps[0].subject_title: harus berupa teks"),
])
def test_malformed_definitions(text, message):
    with pytest.raises(DefinitionError) as info:
        parse(text, "uji.yaml")
    assert message in str(info.value)


FOLLOW_UP = ("code: a-b\ntitle: T\nsource: S\nfollow_up: {}\nsteps:\n  - {{key: a, title: A, roles: [counselor], inputs: "
             "[{{key: secret, label: S, confidential: true, required: false}}, {{key: area, label: Bidang, required: false}}]}}\n")


@pytest.mark.parametrize("follow_up, message", [
    ("[counselor]", "follow_up: harus berupa pemetaan"),
    ("{report: {key: r, label: R}}", "follow_up.closed_by: wajib menyebut"),
    ("{closed_by: [kurir]}", "follow_up.closed_by: peran 'kurir' tidak dikenal"),
    ("{closed_by: [counselor], report: {key: r}}", "follow_up.report.label: wajib diisi"),
    ("{closed_by: [counselor], booking: {mode: tidak_ada}}", "'tidak_ada' bukan data kasus"),
    ("{closed_by: [counselor], booking: {time: t}}", "'t' harus kunci masukan"),
    ("{closed_by: [counselor], tutup: otomatis}", "follow_up: kunci tidak dikenal: tutup"),
    ("{closed_by: [counselor], preview: [topik]}", "follow_up.preview: 'topik' bukan isian kasus atau langkah"),
    ("{closed_by: [counselor], preview: [area, secret]}", "follow_up.preview: 'secret' rahasia"),
])
def test_malformed_follow_up(follow_up, message):
    with pytest.raises(DefinitionError) as info:
        parse(FOLLOW_UP.format(follow_up), "uji.yaml")
    assert message in str(info.value)


def test_a_follow_up_keeps_the_case_open_after_its_last_step_until_closed(app, tmp_path, make_user):
    """Generic: the engine leaves a case with `follow_up` open when its last step is done; only a
    team member holding a `closed_by` role closes it, with the report; it is in the access log."""
    import sqlalchemy as sa

    from app.errors import DomainError
    from app.extensions import db
    from app.sop.models import CaseAccess, CaseState, StepState
    from app.sop.services import close_case, complete_step, open_case

    follow_up = "{closed_by: [counselor], report: {key: catatan, label: Catatan, confidential: true}}"
    text = FOLLOW_UP.format(follow_up).replace("code: a-b", "code: uji-tindak-lanjut").replace(
        "source: S", "source: S\nopen_roles: [student]\nsubject_role: student")
    (tmp_path / "uji.yaml").write_text(text)
    app.config["SOP_PROCEDURES_DIR"] = str(tmp_path)
    try:
        student, counselor, other, head = (make_user("student"), make_user("counselor"), make_user("counselor"),
                                           make_user("head"))
        case = open_case(get_procedure("uji-tindak-lanjut"), student, {})
        with pytest.raises(DomainError):  # its step is still active
            close_case(case, counselor, {"catatan": "x"})
        complete_step(case, "a", counselor, {})
        assert case.state == CaseState.OPEN and case.closed_at is None
        assert [r.state for r in case.current_steps()] == [StepState.DONE]
        for who in (student, other, head):
            with pytest.raises(DomainError):
                close_case(case, who, {"catatan": "x"})
        with pytest.raises(DomainError):  # the report is required
            close_case(case, counselor, {})
        close_case(case, counselor, {"catatan": "RAHASIA: selesai"})
        db.session.commit()
        assert case.state == CaseState.CLOSED and "RAHASIA" not in (case.sealed or "") + str(case.data)
        assert db.session.scalar(sa.select(CaseAccess.user_id).where(CaseAccess.case_id == case.id,
                                                                    CaseAccess.action == "close")) == counselor.id
        with pytest.raises(DomainError):
            close_case(case, counselor, {"catatan": "lagi"})
    finally:
        app.config.pop("SOP_PROCEDURES_DIR")


def test_check_command_on_missing_file(app):
    result = app.test_cli_runner().invoke(args=["sop", "check", "/tidak/ada.yaml"])
    assert result.exit_code == 1 and "tidak ditemukan" in result.output


def test_edited_definition_becomes_a_new_version_and_running_cases_keep_theirs(app, tmp_path, make_user):
    from app.sop.registry import procedure_of
    from app.sop.services import open_case

    text = (BUILTIN_DIR / "puspaga-konseling.yaml").read_text()
    app.config["SOP_PROCEDURES_DIR"] = str(tmp_path)
    try:
        staff = make_user("staff")
        first = open_case(get_procedure("puspaga-konseling"), staff, {"client_kind": "keluarga", "phone": "0812"},
                          subject=make_user("client"))
        (tmp_path / "puspaga-konseling.yaml").write_text(text.replace("duration: 120 menit", "duration: 90 menit"))
        edited = get_procedure("puspaga-konseling")
        assert str(edited.step("asesmen").duration) == "90 menit"
        second = open_case(edited, staff, {"client_kind": "anak", "phone": "0813"}, subject=make_user("client"))
        assert (first.version.version, second.version.version) == (1, 2)
        assert str(procedure_of(first.version).step("asesmen").duration) == "120 menit"
        assert current_version(edited).id == second.version.id
    finally:
        app.config.pop("SOP_PROCEDURES_DIR")
