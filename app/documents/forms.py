"""Forms: issue a letter, make a new version, edit a letter template (simple or advanced), edit
the letterhead."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.documents.editor import PART_KINDS, PART_ROWS
from app.forms import BaseForm, PlainText, strip


class IssueForm(BaseForm):
    recipient = StringField(_l("Kepada (bila perlu)"), filters=[strip], validators=[
        Optional(), Length(max=200, message=_l("Paling panjang 200 karakter.")), PlainText()])
    step = HiddenField()
    confirm = HiddenField()  # "yes" from the confirmation form; anything else shows it first


class NewVersionForm(BaseForm):
    reason = StringField(_l("Alasan versi baru"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan alasan versi baru.")), Length(max=300, message=_l("Paling panjang 300 karakter.")),
        PlainText()], description=_l("Mis. salah ketik nama konseli. Alasan tercatat pada surat versi baru."))


class NumberPartForm(Form):
    """One part of a letter number: what it is, the code when it is one, the separator after it."""

    class Meta:
        def get_translations(self, form):  # WTForms' own messages in the user's language, as BaseForm
            return BaseForm.Meta.get_translations(self, form)

    kind = SelectField(_l("Bagian"), choices=[SelectChoice(code, label) for code, label in PART_KINDS], default="")
    value = StringField(_l("Kode"), filters=[strip], validators=[
        Optional(), Length(max=20, message=_l("Paling panjang 20 karakter."))])
    sep = StringField(_l("Pemisah sesudahnya"), default="/", validators=[
        Optional(), Length(max=5, message=_l("Paling panjang 5 karakter."))])


class SimpleTemplateForm(BaseForm):
    editor = HiddenField(default="simple")
    body = TextAreaField(_l("Isi surat"), validators=[
        DataRequired(_l("Isi surat wajib diisi.")), Length(max=20000, message=_l("Paling panjang 20.000 karakter."))],
        render_kw={"rows": 14},
        description=_l("Tulis seperti biasa; baris kosong memisahkan paragraf. Tanda seperti {{nama_konselor}} "
                       "diganti data surat saat diterbitkan; tulisan lain tercetak apa adanya."))
    padding = SelectField(_l("Jumlah digit nomor urut"), choices=[SelectChoice(n, str(n)) for n in range(1, 7)], coerce=int,
                          default=3, description=_l("3 digit: 001, 002, …"))
    parts = FieldList(FormField(NumberPartForm), min_entries=PART_ROWS, max_entries=PART_ROWS)
    number_format = HiddenField()  # made from the parts by the server; errors about it show by them


class TemplateForm(BaseForm):
    editor = HiddenField(default="html")
    number_format = StringField(_l("Format nomor"), filters=[strip], validators=[
        DataRequired(_l("Format nomor wajib diisi.")), Length(max=120, message=_l("Paling panjang 120 karakter."))],
        description=_l("Kolom: {seq} (boleh {seq:03d}), {unit}, {month}, {month_roman}, {year}."))
    body = TextAreaField(_l("Isi surat (HTML dan Jinja)"), validators=[
        DataRequired(_l("Isi surat wajib diisi.")), Length(max=20000, message=_l("Paling panjang 20.000 karakter."))],
        render_kw={"rows": 14})


class LetterheadForm(BaseForm):
    name = StringField(_l("Nama lembaga"), filters=[strip], validators=[
        DataRequired(_l("Nama lembaga wajib diisi.")), Length(max=200), PlainText()])
    unit = StringField(_l("Unit"), filters=[strip], validators=[
        DataRequired(_l("Unit wajib diisi.")), Length(max=200), PlainText()])
    unit_code = StringField(_l("Kode unit pada nomor surat"), filters=[strip], validators=[
        DataRequired(_l("Kode unit wajib diisi.")), Length(max=30), PlainText()])
    address = StringField(_l("Alamat"), filters=[strip], validators=[Optional(), Length(max=400), PlainText()])
    city = StringField(_l("Kota (untuk tanggal surat)"), filters=[strip], validators=[Optional(), Length(max=80), PlainText()])
    phone = StringField(_l("Telepon"), filters=[strip], validators=[Optional(), Length(max=40), PlainText()])
    email = StringField(_l("E-mail"), filters=[strip], validators=[
        Optional(), Email(_l("Alamat e-mail tidak valid."), check_deliverability=False), Length(max=120)])
    website = StringField(_l("Situs web"), filters=[strip], validators=[Optional(), Length(max=120), PlainText()])
    logo = FileField(_l("Logo (PNG atau SVG, paling besar 200 KB)"), validators=[
        FileAllowed(["png", "svg"], _l("Logo harus berkas PNG atau SVG.")),
        FileSize(200 * 1024, message=_l("Logo paling besar 200 KB."))])
