"""Channel preferences."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Optional, Regexp

from app.forms import BaseForm, strip


class PreferencesForm(BaseForm):
    notify_email = BooleanField(_l("Kirim pemberitahuan lewat e-mail"))
    notify_whatsapp = BooleanField(_l("Kirim pemberitahuan lewat WhatsApp/SMS"))
    phone = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        Optional(), Regexp(r"^\+?[0-9 ()-]{6,20}$", message=_l("Nomor telepon hanya boleh berisi angka, spasi, tanda + ( ) -."))])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.notify_whatsapp.data and not self.phone.data:
            self.phone.errors.append(_l("Isi nomor WhatsApp untuk menerima pesan WhatsApp."))
            return False
        return ok
