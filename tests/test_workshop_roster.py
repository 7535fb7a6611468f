"""The student roster: CSV as Indonesian offices save it (`;` or `,`, UTF-8 with or without BOM,
Windows-1252) or XLSX; every rejected row reported with its line and reason; accepted rows
upserted by NIM; an unreadable file changes nothing; `flask workshops import-roster`."""
from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.workshops.models import RosterStudent, StudyProgram
from app.workshops.roster import MAX_BYTES, RosterUnreadable, import_roster, save_program
from tests.conftest import db_fingerprint

HEADER = "NIM;Nama;Prodi;Semester;E-mail;No. HP\n"


@pytest.fixture
def programs(app, make_user):
    kaprodi = make_user("kaprodi", name="Dr. Sri Wahyuni")
    pmat = save_program(None, "PMAT", "Pendidikan Matematika", "FKIP", kaprodi.id)
    pbi = save_program(None, "PBI", "Pendidikan Bahasa Inggris", "FKIP", None)
    db.session.commit()
    return pmat, pbi


def students() -> dict[str, RosterStudent]:
    db.session.expire_all()
    return {s.nim: s for s in db.session.scalars(db.select(RosterStudent))}


def test_csv_with_bom_and_semicolons_reports_every_rejected_row(programs):
    text = HEADER + "\n".join([
        "2101010001;Ani Lestari;PMAT;3;ani@test.id;0812 3456 7890",       # line 2: accepted (by code)
        "2101010002;Budi Santoso;pendidikan bahasa inggris;5;;",           # line 3: accepted (by name, no contacts)
        "21A;Cici;PMAT;3;c@test.id;",                                      # line 4: NIM not digits
        "2101010004;;PMAT;3;;",                                            # line 5: no name
        "2101010005;Dedi;TEKNIK;3;;",                                      # line 6: unknown prodi
        "2101010006;Eka;PMAT;15;;",                                        # line 7: semester out of range
        "2101010007;Fajar;PMAT;3;bukan-email;",                            # line 8: bad e-mail
        "2101010008;Gita;PMAT;3;;12345",                                   # line 9: bad WhatsApp
        "2101010001;Ani Lagi;PMAT;3;;",                                    # line 10: NIM twice in the file
        ";;;;;",                                                           # an empty row is skipped
    ]) + "\n"
    report = import_roster(b"\xef\xbb\xbf" + text.encode("utf-8"), "roster.csv")
    db.session.commit()
    assert (report.created, report.updated) == (2, 0)
    assert [(r.line, r.nim) for r in report.rejected] == [
        (4, "21A"), (5, "2101010004"), (6, "2101010005"), (7, "2101010006"), (8, "2101010007"), (9, "2101010008"),
        (10, "2101010001")]
    reasons = [r.reason for r in report.rejected]
    assert "NIM harus 5–20 angka" in reasons[0] and reasons[1] == "Nama kosong."
    assert "Prodi \"TEKNIK\" tidak dikenal" in reasons[2] and "Semester harus angka 1–14" in reasons[3]
    assert "E-mail \"bukan-email\" tidak valid" in reasons[4] and "Nomor WhatsApp tidak valid" in reasons[5]
    assert "sudah ada di baris 2" in reasons[6]
    rows = students()
    assert sorted(rows) == ["2101010001", "2101010002"]
    assert rows["2101010001"].whatsapp == "+6281234567890" and rows["2101010001"].program.code == "PMAT"
    assert rows["2101010002"].program.code == "PBI" and rows["2101010002"].email is None


def test_reimport_upserts_by_nim_and_cp1252_with_commas_reads(programs):
    import_roster(b"NIM,Nama,Prodi,Semester\n2101010001,Ani,PMAT,3\n", "a.csv")
    db.session.commit()
    text = "nim,NAMA,program studi,smt,email,whatsapp\r\n2101010001,Andr\xe9 Ani,PBI,5,ani@test.id,+62 812-1111-2222\r\n"
    report = import_roster(text.encode("cp1252"), "b.csv")
    db.session.commit()
    assert (report.created, report.updated, report.rejected) == (0, 1, [])
    student = students()["2101010001"]
    assert (student.name, student.program.code, student.semester, student.whatsapp) == (
        "André Ani", "PBI", 5, "+6281211112222")


def test_xlsx_with_numbers_as_numbers(programs):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["NIM", "Nama", "Prodi", "Semester", "Email", "WhatsApp"])
    sheet.append([2101010001, "Ani", "PMAT", 3, "ani@test.id", "081234567890"])
    sheet.append([2101010002, "Budi", "PMAT", 2.0, None, None])
    sheet.append(["x", "Cici", "PMAT", 3, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_roster(buffer.getvalue(), "roster.xlsx")
    db.session.commit()
    assert report.accepted == 2 and [(r.line, r.nim) for r in report.rejected] == [(4, "x")]
    assert students()["2101010002"].semester == 2


@pytest.mark.parametrize("data, message", [
    (b"", "kosong"),
    (b"\x00\x01\x02binary\x00", "bukan CSV atau XLSX"),
    (b"PK\x03\x04broken zip", "XLSX tidak dapat dibuka"),
    (b"Nama;Prodi\nAni;PMAT\n", "tidak ditemukan: nim, semester"),
    (b"NIM;Nama;Prodi;Semester\n", "tanpa mahasiswa"),
    (b"x" * (MAX_BYTES + 1), "terlalu besar"),
])
def test_an_unreadable_file_changes_nothing(programs, data, message):
    db.session.commit()
    before = db_fingerprint()
    with pytest.raises(RosterUnreadable) as caught:
        import_roster(data, "roster.csv")
    assert message in caught.value.message
    db.session.rollback()
    assert db_fingerprint() == before


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, message", [
    # a workbook without any worksheet
    ({"[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
      "xl/workbook.xml": b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'},
     "tidak"),
    # small on the wire, 30 MB of XML once unzipped
    ({"xl/worksheets/sheet1.xml": b"<c/>" * (30 * 1024 * 1024 // 4)}, "terlalu besar"),
])
def test_a_malformed_or_swelling_xlsx_is_refused_quickly(programs, entries, message):
    import time

    data = _zip(entries)
    assert len(data) < MAX_BYTES
    started = time.monotonic()
    with pytest.raises(RosterUnreadable) as caught:
        import_roster(data, "roster.xlsx")
    assert message in caught.value.message and time.monotonic() - started < 2


def test_no_half_import_when_the_file_breaks_after_good_rows(programs):
    """A CSV that becomes unreadable after valid rows (a field past the csv limit) imports none."""
    import_roster(b"NIM;Nama;Prodi;Semester\n2101010009;Lama;PMAT;3\n", "a.csv")
    db.session.commit()
    before = db_fingerprint()
    data = HEADER.encode() + b"2101010001;Ani;PMAT;3;;\n2101010002;\"" + b"y" * 140_000 + b"\";PMAT;3;;\n"
    with pytest.raises(RosterUnreadable):
        import_roster(data, "a.csv")
    db.session.rollback()
    assert db_fingerprint() == before


def test_too_many_rows_is_refused(programs, monkeypatch):
    import app.workshops.roster as roster

    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    data = HEADER + "".join(f"21010100{i:02d};N{i};PMAT;3;;\n" for i in range(5))
    with pytest.raises(RosterUnreadable, match="paling banyak 3"):
        import_roster(data.encode(), "a.csv")


def test_cli_prints_counts_and_rejected_rows(app, programs, tmp_path):
    good = tmp_path / "roster.csv"
    good.write_bytes(("\ufeff" + HEADER + "2101010001;Ani;PMAT;3;;\n21X;Budi;PMAT;3;;\n").encode())
    result = app.test_cli_runner().invoke(args=["workshops", "import-roster", str(good)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["accepted\t1", "rejected\t1"]
    assert lines[2].startswith("baris 3\t21X\tNIM harus 5–20 angka")
    assert "2101010001" in students()
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"PK\x03\x04rusak")
    result = app.test_cli_runner().invoke(args=["workshops", "import-roster", str(bad)])
    assert result.exit_code == 1 and "XLSX tidak dapat dibuka" in result.output
    result = app.test_cli_runner().invoke(args=["workshops", "import-roster", str(tmp_path / "tidak-ada.csv")])
    assert result.exit_code == 1 and "tidak dapat dibaca" in result.output


def test_upload_page_shows_the_report(app, programs, login_as):
    client, _staff = login_as("staff")
    data = (HEADER + "2101010001;Ani;PMAT;3;;\n2101010002;Budi;PMAT;99;;\n").encode()
    response = client.submit("/workshops/roster", {"file": (io.BytesIO(data), "roster.csv")},
                             content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Diterima: 1" in body and "Ditolak: 1" in body and "Semester harus angka 1–14" in body
    before = db_fingerprint()
    response = client.submit("/workshops/roster", {"file": (io.BytesIO(b"\x00\x00"), "x.csv")},
                             content_type="multipart/form-data")
    assert response.status_code == 422 and "bukan CSV atau XLSX" in response.get_data(as_text=True)
    assert db_fingerprint() == before


def test_prodi_admin_adds_and_edits_with_a_kaprodi_picker(app, login_as, make_user):
    kaprodi = make_user("kaprodi", name="Dr. Budi Kaprodi")
    not_kaprodi = make_user("staff")
    client, _admin = login_as("admin")
    assert "Dr. Budi Kaprodi" in client.get("/admin/prodi").get_data(as_text=True)
    response = client.submit("/admin/prodi", {"code": "PMAT", "name": "Pendidikan Matematika", "faculty": "FKIP",
                                              "kaprodi_id": str(kaprodi.id)})
    assert response.status_code == 302
    program = db.session.scalar(db.select(StudyProgram))
    assert program.kaprodi_id == kaprodi.id
    response = client.submit("/admin/prodi", {"code": "pmat", "name": "Lain", "kaprodi_id": ""})
    assert response.status_code == 422 and "sudah dipakai" in response.get_data(as_text=True)
    response = client.submit(f"/admin/prodi/{program.id}", {"code": "PMAT", "name": "P. Matematika",
                                                            "kaprodi_id": str(not_kaprodi.id)})
    assert response.status_code == 422 and "Pilihan tidak tersedia" in response.get_data(as_text=True)
    response = client.submit(f"/admin/prodi/{program.id}", {"code": "PMAT", "name": "P. Matematika", "kaprodi_id": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (program.name, program.kaprodi_id) == ("P. Matematika", None)


def test_only_p2kllk_keeps_the_programmes_the_roster_and_the_editions(app, programs, login_as):
    """The head and staff of another unit (PUSPAGA) hold the same roles but not P2KLLK's work:
    they neither reassign a kaprodi, nor overwrite the roster, nor create editions."""
    program = db.session.scalars(db.select(StudyProgram)).first()
    head, _u = login_as("head", units=["PUSPAGA"])
    staff, _u = login_as("staff", units=["PUSPAGA"])
    before = db_fingerprint()
    assert head.get("/admin/prodi").status_code == 403
    assert head.submit(f"/admin/prodi/{program.id}", {"code": "X", "name": "X", "faculty": "", "kaprodi_id": ""}
                       ).status_code == 403
    assert staff.get("/workshops/roster").status_code == 403
    assert staff.get("/workshops/new").status_code == 403
    assert head.submit("/workshops/new", {"title": "Workshop", "starts_at": "2031-03-01T09:00",
                                          "capacity": "100"}).status_code == 403
    assert db_fingerprint() == before
    ours, _u = login_as("head", units=["P2KLLK"])
    assert ours.get("/admin/prodi").status_code == 200 and ours.get("/workshops/new").status_code == 200


def test_a_name_of_invisible_characters_is_no_name(programs):
    report = import_roster((HEADER + "2101010011;\u200b\u3164;PMAT;3;;\n").encode(), "a.csv")
    assert report.created == 0 and [(r.line, r.nim) for r in report.rejected] == [(2, "2101010011")]
