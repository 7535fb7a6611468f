"""Forms of the referral pages, the log book and the step screens."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app.forms import BaseForm, InCalendar, PlainText, WholeNumberField, strip


def _text(label, limit, required=True, message=None):
    validators = [DataRequired(message or _l("%(label)s wajib diisi.", label=label))] if required else [Optional()]
    return StringField(label, filters=[strip], validators=validators + [
        Length(max=limit, message=_l("Paling panjang %(n)d karakter.", n=limit)), PlainText()])


class ReferralForm(BaseForm):
    """The advisor refers one of their advisees with the report (pedoman pemantauan)."""

    student = SelectField(_l("Mahasiswa bimbingan"), validators=[DataRequired(_l("Pilih mahasiswa bimbingan Anda."))])
    reason = TextAreaField(_l("Laporan kebutuhan layanan (berdasarkan pedoman pemantauan mahasiswa)"), filters=[strip],
                           validators=[DataRequired(_l("Tuliskan laporan kebutuhan layanan.")),
                                       Length(min=10, max=4000, message=_l("Laporan 10 sampai 4000 karakter."))],
                           description=_l("Yang Anda amati dan layanan yang menurut Anda diperlukan. Bersifat rahasia: "
                                          "hanya Anda dan staf konseling yang membacanya."))


class InformForm(BaseForm):
    service = _text(_l("Layanan yang akan diberikan"), 200)


class AdvisorForm(BaseForm):
    """Staff set a student's dosen PA (the roster import sets it too)."""

    nim = _text(_l("NIM"), 20)
    advisor_id = SelectField(_l("Dosen PA"), validate_choice=True)


class LineForm(BaseForm):
    """A line of the log book: no counseling content, only the administrative facts."""

    served_at = DateTimeLocalField(_l("Tanggal dan jam layanan"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired(_l("Tanggal dan jam layanan wajib diisi.")), InCalendar()])
    service_kind = _text(_l("Jenis layanan"), 200)
    counselor_id = SelectField(_l("Staf konseling"), validators=[DataRequired(_l("Pilih staf konseling."))])
    duration_minutes = WholeNumberField(_l("Durasi (menit)"), validators=[Optional(), NumberRange(
        min=1, max=480, message=_l("Durasi 1 sampai 480 menit."))])
    outcome = StringField(_l("Hasil layanan (singkat, tanpa isi konseling)"), filters=[strip], validators=[
        Optional(), Length(max=500, message=_l("Paling panjang 500 karakter.")), PlainText()])


class CorrectionForm(LineForm):
    reason = _text(_l("Alasan pembetulan"), 400)


class ExternalForm(BaseForm):
    """The surat rujukan's addressee: one kept in the directory, or a new one."""

    party_id = SelectField(_l("Pihak eksternal dari daftar"), validate_choice=True)
    name = _text(_l("Nama pihak eksternal"), 200, required=False)
    institution = _text(_l("Lembaga"), 200, required=False)
    address = _text(_l("Alamat"), 400, required=False)
    email = EmailField(_l("E-mail (surat dikirim juga ke alamat ini)"), filters=[strip], validators=[
        Optional(), Email(_l("Alamat e-mail tidak valid."), check_deliverability=False), Length(max=254)])


class StatusForm(BaseForm):
    nim = _text(_l("NIM"), 20)
    override = BooleanField(_l("Lanjutkan walaupun NIM tidak ditemukan atau status tidak aktif"))
    override_reason = _text(_l("Alasan (wajib bila dilanjutkan)"), 400, required=False)


class DeskForm(BaseForm):
    """Staff record at the desk a student's own request for counseling."""

    nim = _text(_l("NIM"), 20)
    need = TextAreaField(_l("Kebutuhan layanan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan kebutuhan layanan.")), Length(max=4000, message=_l("Paling panjang 4000 karakter."))])


class SearchArgs:
    """The log book's query string, bounded."""

    def __init__(self, args):
        self.q = (args.get("q") or "").strip()[:100]
        status = args.get("status") or ""
        self.status = status if status in ("dijadwalkan", "terlaksana") else ""

