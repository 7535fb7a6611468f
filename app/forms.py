"""Form pieces every domain shares: validators with Indonesian messages."""
from __future__ import annotations

import re

import email_validator
from flask_babel import lazy_gettext as _l
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


def strip(value):
    return value.strip() if isinstance(value, str) else value
