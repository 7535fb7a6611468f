"""Form pieces every domain shares: validators with Indonesian messages."""
from __future__ import annotations

import re

import email_validator
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

# The demo accounts (INTERFACE.md) live under the reserved `.test` domain; accept it.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d != "test"]

_ANGLE = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class PlainText:
    """Refuse markup and control characters in names and short identity fields."""

    def __call__(self, form, field):
        value = field.data or ""
        if _ANGLE.search(value):
            raise ValidationError(_l("Tidak boleh mengandung tanda < atau >."))
        if _CONTROL.search(value):
            raise ValidationError(_l("Mengandung karakter yang tidak diizinkan."))


def error_text(form) -> str:
    """All of a form's errors as one sentence, for answers that show no form."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def strip(value):
    return value.strip() if isinstance(value, str) else value


# WTForms' own messages (it ships no Indonesian catalogue), in Bahasa Indonesia.
WTFORMS_ID = {
    "Not a valid choice.": "Pilihan tidak tersedia.",
    "Invalid Choice: could not coerce.": "Pilihan tidak tersedia.",
    "Not a valid date value.": "Tanggal tidak valid (format: hari/bulan/tahun).",
    "Not a valid datetime value.": "Tanggal dan jam tidak valid.",
    "Not a valid time value.": "Jam tidak valid.",
    "Not a valid integer value.": "Harus berupa bilangan bulat.",
    "Not a valid decimal value.": "Harus berupa angka.",
    "Not a valid float value.": "Harus berupa angka.",
    "CSRF token missing.": "Token formulir (CSRF) tidak ada; muat ulang halaman.",
    "CSRF token expired.": "Token formulir (CSRF) kedaluwarsa; muat ulang halaman.",
    "Invalid CSRF Token.": "Token formulir (CSRF) tidak sah; muat ulang halaman.",
    "CSRF failed.": "Pemeriksaan CSRF gagal; muat ulang halaman.",
}


class _Translations:
    def __init__(self, table: dict[str, str]):
        self.table = table

    def gettext(self, string):
        return self.table.get(string, string)

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


class BaseForm(FlaskForm):
    """Every form of the app: WTForms' built-in messages come out in the user's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            locale = get_locale()
            return _Translations(WTFORMS_ID if locale is None or locale.language == "id" else {})
