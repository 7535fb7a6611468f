"""Helpers that take a PUSPAGA case through its steps the way the screens do (uploads, consent,
assessment sheet), shared by the tests that need a case at a later step."""
from __future__ import annotations

import io

from PIL import Image
from pypdf import PdfWriter

from app.extensions import db
from app.org.models import Unit
from app.sop.registry import get_procedure
from app.sop.services import complete_step, open_case
from app.casefiles.assessments import submit_assessment
from app.casefiles.consent import record_consent
from app.casefiles.settings import current_sheet, save_sheet, set_categories, set_required_documents

CODE = "puspaga-konseling"
INTAKE = {"appointment_at": "2031-01-06T09:00", "service": "Konseling individu", "channel": "Datang langsung",
          "client_sex": "perempuan", "client_age": 14}
SHEET = "## Identitas masalah\nKeluhan utama [panjang]\nSejak kapan\n## Keluarga\nRiwayat keluarga [panjang]"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def puspaga_unit() -> Unit:
    from app.sop.offerings import sync_offerings

    sync_offerings()  # the units of the procedures exist
    return db.session.scalar(db.select(Unit).where(Unit.code == "PUSPAGA"))


def configure_unit(documents: str = "KTP orang tua\nKartu keluarga\n(opsional) Surat rujukan") -> Unit:
    unit = puspaga_unit()
    set_required_documents(unit, documents)
    set_categories(unit, "service", "Konseling individu\nKonseling keluarga\nKonsultasi")
    set_categories(unit, "channel", "Datang langsung\nTelepon/WhatsApp\nRujukan lembaga")
    set_categories(unit, "problem", "Pengasuhan anak\nRelasi suami-istri\nPerilaku anak\nKekerasan dalam rumah tangga")
    save_sheet(unit, "Lembar Asesmen PUSPAGA", SHEET, None)
    return unit


def open_puspaga(staff, subject, now=None, intake=None):
    case = open_case(get_procedure(CODE), staff, {"client_kind": "orang tua", "phone": "0812"}, subject=subject, now=now)
    complete_step(case, "permohonan", staff, {**INTAKE, **(intake or {})}, now=now)
    return case


def to_consent(case, counselor, now=None, problem="Pengasuhan anak"):
    complete_step(case, "kelengkapan", counselor, {"problem_category": problem, "problem": "Anak sering membolos"},
                  now=now)


def consent(case, counselor, agreed=True, now=None):
    return record_consent(case, counselor, agreed, "Ibu Siti", "orang tua", "typed", typed="Ibu Siti", now=now)


def assess(case, counselor, secret="Jawaban asesmen", now=None):
    if current_sheet(case.unit_id) is None:
        save_sheet(case.unit, "Lembar Asesmen PUSPAGA", SHEET, None)
    sheet = current_sheet(case.unit_id)
    return submit_assessment(case, counselor, {"q1": secret, "q2": "Sejak Juli"}, summary=secret, now=now) if sheet else None
