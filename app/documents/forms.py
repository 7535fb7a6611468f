"""Forms: issue a letter, edit a letter template, edit the letterhead."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.forms import BaseForm, PlainText, strip


class IssueForm(BaseForm):
    recipient = StringField(_l("Kepada (bila perlu)"), filters=[strip], validators=[
        Optional(), Length(max=200, message=_l("Paling panjang 200 karakter.")), PlainText()])


class TemplateForm(BaseForm):
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
