"""The monthly client report: figures counted by hand from the cases entered, by every
category; the page, PDF and XLSX say the same and name nobody."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.sop.services import complete_step
from app.casefiles.consent import withdraw_consent
from app.casefiles.report import monthly_figures
from tests.puspaga_flow import assess, configure_unit, consent, open_puspaga, to_consent

WIB = timezone(timedelta(hours=7))


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=WIB)


def intake(service, channel, sex, age):
    return {"service": service, "channel": channel, "client_sex": sex, "client_age": age}


def counsel(case, counselor, through: str, days: dict):
    """Walk a consented, assessed case through the steps up to `through`, each on its day."""
    plan = [("prioritas", {"priorities": "P"}), ("simpulan", {"advice": "S"}),
            ("intervensi", {"intervention": "I"}), ("kebutuhan_lain", {"needs_other_service": "tidak"}),
            ("pengakhiran", {"outcome": "masalah teratasi", "termination_agreed": True})]
    for key, values in plan:
        complete_step(case, key, counselor, values, now=days.get(key, days["default"]))
        if key == through:
            return


@pytest.fixture
def november(app, make_user):
    configure_unit(documents="")
    staff, counselor = make_user("staff", units=["PUSPAGA"]), make_user("counselor", units=["PUSPAGA"])
    clients = [make_user("client", name=f"Klien Rahasia {n}", units=["PUSPAGA"]) for n in range(5)]
    # A: opened in November; assessment, intervention and termination in November (3 sessions).
    a = open_puspaga(staff, clients[0], now=at("2026-11-03", 8),
                     intake=intake("Konseling individu", "Datang langsung", "perempuan", 14))
    to_consent(a, counselor, now=at("2026-11-03", 9), problem="Perilaku anak")
    consent(a, counselor, now=at("2026-11-03", 9))
    assess(a, counselor, now=at("2026-11-03", 11))
    counsel(a, counselor, "pengakhiran", {"intervensi": at("2026-11-10"), "pengakhiran": at("2026-11-17"),
                                          "default": at("2026-11-04")})
    # B: opened in November, consent withdrawn the next day (no session).
    b = open_puspaga(staff, clients[1], now=at("2026-11-05", 8),
                     intake=intake("Konseling keluarga", "Telepon/WhatsApp", "laki-laki", 40))
    to_consent(b, counselor, now=at("2026-11-05", 9), problem="Pengasuhan anak")
    consent(b, counselor, now=at("2026-11-05", 9))
    withdraw_consent(b, clients[1], "Pindah kota", now=at("2026-11-06"))
    # C: opened in October, assessed in October, intervention in November (1 session in November).
    c = open_puspaga(staff, clients[2], now=at("2026-10-20", 8),
                     intake=intake("Konseling individu", "Rujukan lembaga", "perempuan", 8))
    to_consent(c, counselor, now=at("2026-10-20", 9), problem="Perilaku anak")
    consent(c, counselor, now=at("2026-10-20", 9))
    assess(c, counselor, now=at("2026-10-21"))
    counsel(c, counselor, "intervensi", {"intervensi": at("2026-11-12"), "default": at("2026-10-22")})
    # D: opened in December; E: October only. Neither counts in November.
    open_puspaga(staff, clients[3], now=at("2026-12-01"), intake=intake("Konsultasi", "Datang langsung", "perempuan", 30))
    e = open_puspaga(staff, clients[4], now=at("2026-10-01"), intake=intake("Konsultasi", "Datang langsung", "laki-laki", 70))
    to_consent(e, counselor, now=at("2026-10-02"), problem="Relasi suami-istri")
    db.session.commit()
    return a.unit


def table(figures, title):
    return {label: (clients, sessions) for label, clients, sessions in
            next(t for t in figures.tables if t.title == title).rows}


def test_the_figures_match_the_cases_counted_by_hand(november):
    f = monthly_figures(november, 2026, 11)
    assert (f.clients, f.new_clients, f.sessions) == (3, 2, 4)
    assert table(f, "Jenis layanan") == {"Konseling individu": (2, 4), "Konseling keluarga": (1, 0), "Konsultasi": (0, 0)}
    assert table(f, "Saluran") == {"Datang langsung": (1, 3), "Telepon/WhatsApp": (1, 0), "Rujukan lembaga": (1, 1)}
    assert table(f, "Jenis kelamin") == {"laki-laki": (1, 0), "perempuan": (2, 4)}
    ages = table(f, "Kelompok usia")
    assert (ages["6–12"], ages["13–17"], ages["26–45"], ages["0–5"], ages["60+"]) == ((1, 1), (1, 3), (1, 0), (0, 0), (0, 0))
    assert table(f, "Kategori masalah") == {"Pengasuhan anak": (1, 0), "Relasi suami-istri": (0, 0),
                                            "Perilaku anak": (2, 4), "Kekerasan dalam rumah tangga": (0, 0)}
    outcome = table(f, "Hasil layanan")
    assert (outcome["masalah teratasi"], outcome["persetujuan ditarik"], outcome["dalam proses"]) == ((1, 3), (1, 0), (1, 1))
    october = monthly_figures(november, 2026, 10)
    assert (october.clients, october.new_clients, october.sessions) == (2, 2, 1)  # C (assessed) and E


def test_page_pdf_and_xlsx_say_the_same_and_name_nobody(app, november, login_as):
    client, _head = login_as("head", units=["PUSPAGA"])
    page = client.get(f"/units/{november.id}/client-report?month=2026-11")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "November 2026" in body and "Klien Rahasia" not in body
    assert "<svg" in body  # the charts
    pdf = client.get(f"/units/{november.id}/client-report.pdf?month=2026-11")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "November 2026" in text and "Perilaku anak" in text and "Klien Rahasia" not in text
    xlsx = client.get(f"/units/{november.id}/client-report.xlsx?month=2026-11")
    rows = [tuple(r) for r in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True)]
    assert ("Jumlah klien", 3) in [r[:2] for r in rows] and ("Jumlah sesi", 4) in [r[:2] for r in rows]
    assert ("Perilaku anak", 2, 4) in [r[:3] for r in rows]
    assert not any("Klien Rahasia" in str(cell) for r in rows for cell in r)
    # An unreadable month shows this month, with a message; another unit's head sees nothing.
    assert "tidak dikenali" in client.get(f"/units/{november.id}/client-report?month=2026-13").get_data(as_text=True)
    other, _ = login_as("head", units=["P2KLLK"])
    assert other.get(f"/units/{november.id}/client-report").status_code == 404
