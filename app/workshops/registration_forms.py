"""Forms of the public registration, the ticket's cancellation and the door (check-in, walk-ins)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.auth.forms import _whatsapp
from app.extensions import db
from app.forms import BaseForm, PlainText, strip
from app.workshops.models import StudyProgram

SEMESTERS = [SelectChoice(str(n), str(n)) for n in range(1, 15)]
SEMESTER_VALUES = {choice.value for choice in SEMESTERS}
NIM = [DataRequired(_l("NIM wajib diisi.")), Length(max=20, message=_l("NIM paling panjang 20 karakter.")),
       Regexp(r"^[0-9A-Za-z.-]+$", message=_l("NIM hanya boleh berisi huruf, angka, titik atau tanda hubung."))]


def program_choices() -> list[SelectChoice]:
    rows = db.session.execute(db.select(StudyProgram.code, StudyProgram.name).order_by(StudyProgram.name)).all()
    return [SelectChoice("", _l("— pilih program studi —"))] + [SelectChoice(code, f"{name} ({code})")
                                                                for code, name in rows]


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


class RegistrationForm(BaseForm):
    nim = StringField(_l("NIM"), filters=[_upper], validators=NIM)
    name = StringField(_l("Nama lengkap"), filters=[strip], validators=[
        DataRequired(_l("Nama wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])
    prodi = SelectField(_l("Program studi"), validate_choice=False)
    semester = SelectField(_l("Semester"), choices=[SelectChoice("", _l("— pilih semester —")), *SEMESTERS],
                           validators=[DataRequired(_l("Pilih semester Anda."))])
    email = EmailField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("E-mail wajib diisi.")), Length(max=254, message=_l("Paling panjang 254 karakter.")),
        Email(_l("Alamat e-mail tidak valid."))])
    whatsapp = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        DataRequired(_l("Nomor WhatsApp wajib diisi.")), Length(max=20, message=_l("Paling panjang 20 karakter.")),
        _whatsapp], description=_l("Nomor ponsel Indonesia, mis. 0812 3456 7890."))

    def __init__(self, *args, require_program: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.prodi.choices = program_choices()
        self.require_program = require_program and len(self.prodi.choices) > 1

    def program_codes(self) -> set[str]:
        return {choice.value for choice in self.prodi.choices if choice.value}

    def validate_prodi(self, field):
        if not field.data:
            if self.require_program:
                raise ValidationError(_l("Pilih program studi Anda."))
            return
        if field.data not in self.program_codes():
            raise ValidationError(_l("Pilihan tidak tersedia."))

    def validate_semester(self, field):
        if field.data not in SEMESTER_VALUES:
            raise ValidationError(_l("Pilihan tidak tersedia."))


class WalkInForm(RegistrationForm):
    """At the door: the same fields; WhatsApp may be left out."""

    whatsapp = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        Optional(), Length(max=20, message=_l("Paling panjang 20 karakter.")), _whatsapp])
    semester = SelectField(_l("Semester"), choices=[SelectChoice("", "—"), *SEMESTERS], validators=[Optional()])

    def validate_semester(self, field):
        if field.data and field.data not in SEMESTER_VALUES:
            raise ValidationError(_l("Pilihan tidak tersedia."))


class CheckInForm(BaseForm):
    code = StringField(_l("Kode tiket atau NIM"), filters=[strip], validators=[
        DataRequired(_l("Tulis atau pindai kode tiket, atau tulis NIM.")),
        Length(max=300, message=_l("Paling panjang 300 karakter.")), PlainText()])


class AttendanceForm(BaseForm):
    present = HiddenField(validators=[DataRequired(_l("Pilihan tidak tersedia.")),
                                      Regexp(r"^[01]$", message=_l("Pilihan tidak tersedia."))])


class CancelForm(BaseForm):
    """Only the CSRF token: the ticket page asks for confirmation before it is sent."""
