"""The user form admins fill in."""
from flask_babel import lazy_gettext as _l

from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.auth.roles import known_roles
from app.forms import BaseForm, PlainText, strip


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        unknown = [value for value in self.data or () if value not in allowed]
        if unknown:
            raise ValidationError(_l("Pilihan tidak dikenal: %(values)s", values=", ".join(unknown)[:200]))


class UserForm(BaseForm):
    name = StringField(_l("Nama lengkap"), filters=[strip], validators=[
        DataRequired(_l("Nama wajib diisi.")), Length(max=120, message=_l("Nama paling panjang 120 karakter.")), PlainText()])
    email = StringField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("E-mail wajib diisi.")), Length(max=254, message=_l("E-mail terlalu panjang.")),
        Email(_l("Alamat e-mail tidak valid."), check_deliverability=False)])
    phone = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        Optional(), Regexp(r"^\+?[0-9 ()-]{6,20}$", message=_l("Nomor telepon hanya boleh berisi angka, spasi, tanda + ( ) -."))])
    employee_number = StringField(_l("NIP / NIDN / NIM"), filters=[strip], validators=[
        Optional(), Length(max=40, message=_l("Paling panjang 40 karakter.")), PlainText()])
    roles = MultiCheckboxField(_l("Peran"), validators=[DataRequired(_l("Pilih minimal satu peran."))])
    active = BooleanField(_l("Aktif"), default=True)
    password = PasswordField(_l("Kata sandi"), validators=[
        Optional(), Length(min=8, max=256, message=_l("Kata sandi 8–256 karakter."))],
        description=_l("Kosongkan untuk membuat kata sandi acak (pengguna baru) atau tidak mengubahnya."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = [SelectChoice(code, str(label)) for code, label in known_roles().items()]
