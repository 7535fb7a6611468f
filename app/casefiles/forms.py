"""Forms of the case files: an upload, the consent, its withdrawal, the assessment sheet (built
from the unit's sheet) and the unit's settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms.fields.choices import SelectChoice
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import BaseForm, PlainText, strip


class UploadForm(BaseForm):
    requirement_id = SelectField(_l("Jenis dokumen"), coerce=str, validators=[Optional()])
    file = FileField(_l("Berkas (PDF, JPEG atau PNG)"))


class ConsentForm(BaseForm):
    agreed = RadioField(_l("Jawaban klien"), choices=[SelectChoice("ya", _l("Klien menyetujui layanan konseling")),
                                                      SelectChoice("tidak", _l("Klien tidak menyetujui"))],
                        validators=[DataRequired(_l("Pilih jawaban klien."))])
    name = StringField(_l("Nama yang menyatakan persetujuan"), filters=[strip],
                       validators=[DataRequired(_l("Tuliskan nama.")), Length(max=200), PlainText()])
    relation = StringField(_l("Hubungan dengan klien (bila bukan klien sendiri, mis. orang tua/wali)"),
                           filters=[strip], validators=[Optional(), Length(max=100), PlainText()])
    signature_kind = RadioField(_l("Tanda tangan"), choices=[SelectChoice("typed", _l("Ketik nama lengkap")),
                                                             SelectChoice("drawn", _l("Gambar tanda tangan"))], default="typed",
                                validators=[DataRequired(_l("Pilih cara tanda tangan."))])
    typed = StringField(_l("Tanda tangan (ketik nama lengkap)"), filters=[strip], validators=[Optional(), Length(max=200)])
    drawn = HiddenField(validators=[Optional(), Length(max=300_000)])


class WithdrawForm(BaseForm):
    reason = TextAreaField(_l("Alasan penarikan persetujuan"), filters=[strip],
                           validators=[DataRequired(_l("Tuliskan alasan penarikan persetujuan.")), Length(max=1000)])


class SummaryForm(BaseForm):
    summary = TextAreaField(_l("Ringkasan asesmen"), filters=[strip], validators=[Optional(), Length(max=8000)])


class DocumentsForm(BaseForm):
    documents = TextAreaField(_l("Dokumen persyaratan (satu per baris; awali dengan \u201c(opsional)\u201d bila tidak wajib)"),
                              filters=[strip], validators=[Optional(), Length(max=8000)])


class CategoriesForm(BaseForm):
    service = TextAreaField(_l("Jenis layanan (satu per baris)"), filters=[strip], validators=[Optional(), Length(max=6000)])
    channel = TextAreaField(_l("Saluran / cara datang (satu per baris)"), filters=[strip],
                            validators=[Optional(), Length(max=6000)])
    problem = TextAreaField(_l("Kategori masalah (satu per baris)"), filters=[strip], validators=[Optional(), Length(max=6000)])


class SheetForm(BaseForm):
    title = StringField(_l("Judul lembar asesmen"), filters=[strip],
                        validators=[DataRequired(_l("Tuliskan judul.")), Length(max=200), PlainText()])
    sheet = TextAreaField(_l("Bagian dan pertanyaan"), filters=[strip],
                          description=_l("\u201c## Judul bagian\u201d memulai bagian; setiap baris lain satu pertanyaan; "
                                         "akhiri dengan [panjang] untuk jawaban panjang."),
                          validators=[DataRequired(_l("Tuliskan minimal satu pertanyaan.")), Length(max=20000)])
