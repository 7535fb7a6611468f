"""Login form."""
from flask_babel import lazy_gettext as _l

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm, strip


class LoginForm(BaseForm):
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[DataRequired(_l("E-mail wajib diisi.")), Length(max=254)])
    password = PasswordField(_l("Kata sandi"),
                             validators=[DataRequired(_l("Kata sandi wajib diisi.")), Length(max=256)])
