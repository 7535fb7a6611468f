"""Login, password change, forgotten-password and reset forms."""
from flask_babel import lazy_gettext as _l

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.forms import BaseForm, strip

NEW_PASSWORD = [DataRequired(_l("Kata sandi baru wajib diisi.")),
                Length(min=8, max=256, message=_l("Kata sandi 8–256 karakter."))]
SAME_AGAIN = [DataRequired(_l("Ulangi kata sandi baru.")),
              EqualTo("password", message=_l("Kedua kata sandi baru tidak sama."))]


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
