"""Login, password change, forgotten-password and reset forms; registration, e-mail
confirmation, the profile and staff's walk-in registration."""
from flask_babel import lazy_gettext as _l

from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError

from app.auth.accounts import NIM
from app.errors import DomainError
from app.forms import BaseForm, PlainText, WholeNumberField, strip

NEW_PASSWORD = [DataRequired(_l("Kata sandi baru wajib diisi.")),
                Length(min=8, max=256, message=_l("Kata sandi 8–256 karakter."))]
SAME_AGAIN = [DataRequired(_l("Ulangi kata sandi baru.")),
              EqualTo("password", message=_l("Kedua kata sandi baru tidak sama."))]
SAME_AGAIN_FIRST = [DataRequired(_l("Ulangi kata sandi.")),  # registering: there is no old one
                    EqualTo("password", message=_l("Kedua kata sandi tidak sama."))]


class LoginForm(BaseForm):
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[DataRequired(_l("E-mail wajib diisi.")), Length(max=254)])
    password = PasswordField(_l("Kata sandi"),
                             validators=[DataRequired(_l("Kata sandi wajib diisi.")), Length(max=256)])


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Kata sandi saat ini"), validators=[
        DataRequired(_l("Kata sandi saat ini wajib diisi.")), Length(max=256)])
    password = PasswordField(_l("Kata sandi baru"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=SAME_AGAIN)


class ForgotPasswordForm(BaseForm):
    email = StringField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("E-mail wajib diisi.")), Length(max=254, message=_l("E-mail terlalu panjang.")),
        Email(_l("Alamat e-mail tidak valid."), check_deliverability=False)])


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("Kata sandi baru"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Ulangi kata sandi baru"), validators=SAME_AGAIN)


# -- accounts people make themselves (app/auth/accounts.py) ---------------------------------
EMAIL = [DataRequired(_l("E-mail wajib diisi.")), Length(max=254, message=_l("E-mail terlalu panjang.")),
         Email(_l("Alamat e-mail tidak valid."), check_deliverability=False)]
NAME = [DataRequired(_l("Nama wajib diisi.")), Length(max=120, message=_l("Nama paling panjang 120 karakter.")),
        PlainText()]


def _role_choices(codes) -> list:
    from app.auth.roles import role_label

    return [SelectChoice("", _l("— pilih —"))] + [SelectChoice(code, role_label(code)) for code in codes]


class RegisterForm(BaseForm):
    name = StringField(_l("Nama lengkap"), filters=[strip], validators=NAME)
    email = StringField(_l("E-mail"), filters=[strip], validators=EMAIL)
    role = SelectField(_l("Saya mendaftar sebagai"), validators=[DataRequired(_l("Pilih jenis akun."))])
    password = PasswordField(_l("Kata sandi"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Ulangi kata sandi"), validators=SAME_AGAIN_FIRST)

    def __init__(self, roles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices(roles)


class ResendConfirmationForm(BaseForm):
    email = StringField(_l("E-mail"), filters=[strip], validators=EMAIL)


class ConfirmEmailForm(BaseForm):
    password = PasswordField(_l("Kata sandi"), validators=[
        DataRequired(_l("Kata sandi wajib diisi.")), Length(max=256)])


def _whatsapp(form, field):
    from app.auth.accounts import normalise_whatsapp

    try:
        normalise_whatsapp(field.data)
    except DomainError as exc:
        raise ValidationError(exc.message) from None


class ProfileForm(BaseForm):
    name = StringField(_l("Nama lengkap"), filters=[strip], validators=NAME)
    nim = StringField(_l("NIM / nomor praja"), filters=[strip], validators=[
        Optional(), Length(max=40, message=_l("Paling panjang 40 karakter.")),
        Regexp(NIM, message=_l("NIM hanya boleh berisi huruf, angka, titik, garis miring atau tanda hubung."))])
    prodi = StringField(_l("Program studi"), filters=[strip], validators=[
        Optional(), Length(max=120, message=_l("Paling panjang 120 karakter.")), PlainText()])
    graduation_year = WholeNumberField(_l("Tahun lulus"), validators=[
        Optional(), NumberRange(min=1950, max=2100, message=_l("Tahun lulus antara 1950 dan 2100."))],
        description=_l("Untuk alumni dan calon alumni (perkiraan)."))
    whatsapp = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        Optional(), Length(max=20, message=_l("Paling panjang 20 karakter.")), _whatsapp],
        description=_l("Nomor ponsel Indonesia, mis. 0812 3456 7890."))


class WalkInForm(ProfileForm):
    """Staff register a walk-in client; the person chooses their own password by e-mail."""

    email = StringField(_l("E-mail"), filters=[strip], validators=EMAIL)
    role = SelectField(_l("Jenis akun"), validators=[DataRequired(_l("Pilih jenis akun."))])

    def __init__(self, roles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices(roles)
