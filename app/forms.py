"""Form pieces every domain shares: validators with Indonesian messages."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import email_validator
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import ValidationError

from app.errors import DomainError

# The demo accounts (INTERFACE.md) live under the reserved `.test` domain; accept it.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d != "test"]

_ANGLE = re.compile(r"[<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text_error(value: str | None):
    """Why `value` is not plain text (markup or control characters), or None when it is."""
    if _ANGLE.search(value or ""):
        return _l("Tidak boleh mengandung tanda < atau >.")
    if _CONTROL.search(value or ""):
        return _l("Mengandung karakter yang tidak diizinkan.")
    return None


class PlainText:
    """Refuse markup and control characters in names and short identity fields."""

    def __call__(self, form, field):
        error = plain_text_error(field.data)
        if error:
            raise ValidationError(error)


class WholeNumberField(IntegerField):
    """An IntegerField that refuses numbers of more than 15 digits: WTForms' NumberRange compares
    through float(), which overflows on a few hundred digits."""

    def process_formdata(self, valuelist):
        if valuelist and len(str(valuelist[0]).strip().lstrip("+-").lstrip("0")) > 15:
            self.data = None
            raise ValueError(_l("Angka terlalu besar."))
        super().process_formdata(valuelist)


# Dates and times: every one that enters the app (forms, query strings, the command line) passes
# `check_year`, so arithmetic near the calendar's ends (year 1, year 9999) never overflows.
MIN_YEAR, MAX_YEAR = 2000, 2100


def check_year(value: date | datetime):
    """`value` itself when its year lies in MIN_YEAR..MAX_YEAR; else a DomainError saying so."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DomainError(_("Tahun %(year)d di luar rentang yang dilayani (%(min)d–%(max)d).",
                            year=value.year, min=MIN_YEAR, max=MAX_YEAR))
    return value


def parse_date(text: str | None) -> date:
    """A date written as YYYY-MM-DD, within the served years; DomainError otherwise."""
    try:
        value = date.fromisoformat(str(text or "").strip())
    except ValueError:
        raise DomainError(_("Tanggal '%(value)s' tidak valid (format: tahun-bulan-tanggal).",
                            value=str(text or "")[:30])) from None
    return check_year(value)


def parse_datetime(text: str | None) -> datetime:
    """A moment written in ISO 8601 (offset optional), within the served years; DomainError otherwise."""
    try:
        value = datetime.fromisoformat(str(text or "").strip())
    except ValueError:
        raise DomainError(_("Waktu '%(value)s' tidak terbaca; tulis ISO 8601, mis. 2026-11-20T15:50.",
                            value=str(text or "")[:40])) from None
    return check_year(value)


class InCalendar:
    """Refuse a date or date-time field whose year lies outside the served years."""

    def __call__(self, form, field):
        if field.data is not None:
            try:
                check_year(field.data)
            except DomainError as exc:
                raise ValidationError(exc.message) from None


MAX_PAGE = 100_000


def page_arg() -> int:
    """The `?page=` of a paged list: garbage, zero and negatives are page 1, beyond MAX_PAGE is MAX_PAGE."""
    text = request.args.get("page", "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    digits = text.lstrip("0")
    return MAX_PAGE if len(digits) > len(str(MAX_PAGE)) else min(max(int(digits or "0"), 1), MAX_PAGE)


def refuse(form, exc) -> None:
    """A service refused (DomainError): undo what the request began, so the page shows the case
    as it was, and show the reason next to the field it names, else at the top of the form — the
    one way every form says why nothing was saved."""
    from app.extensions import db

    db.session.rollback()
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def error_text(form) -> str:
    """All of a form's errors as one sentence, for answers that show no form."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


# Letters that draw nothing (the Hangul fillers, the blank Braille pattern): blank, as spaces are.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(char: str) -> bool:
    """Nothing to see at either end of a text: spaces, format characters (zero-width spaces,
    direction marks), blank letters."""
    return char.isspace() or char in _BLANK_LETTERS or unicodedata.category(char) == "Cf"


def _drawn(char: str) -> bool:
    return not (_invisible(char) or unicodedata.category(char) in ("Mn", "Me"))  # a mark alone shows nothing


def strip(value):
    """What is invisible off both ends; a text showing nothing (marks alone included) is empty, and
    a required field refuses it. Every typed text goes through here (forms, and domain functions
    taking text from elsewhere: a file, a request's raw form)."""
    if not isinstance(value, str):
        return value
    if not any(map(_drawn, value)):
        return ""
    start, end = 0, len(value)
    while _invisible(value[start]):
        start += 1
    while _invisible(value[end - 1]):
        end -= 1
    return value[start:end]


def letters(value: str | None) -> int:
    """How many letters and digits a text shows (a written reason's length, not its blank letters)."""
    return sum(1 for char in value or "" if char.isalnum() and char not in _BLANK_LETTERS)


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
    # Length() without a message of its own
    "Field must be at least %(min)d character long.": "Paling sedikit %(min)d karakter.",
    "Field must be at least %(min)d characters long.": "Paling sedikit %(min)d karakter.",
    "Field cannot be longer than %(max)d character.": "Paling panjang %(max)d karakter.",
    "Field cannot be longer than %(max)d characters.": "Paling panjang %(max)d karakter.",
    "Field must be exactly %(max)d character long.": "Harus tepat %(max)d karakter.",
    "Field must be exactly %(max)d characters long.": "Harus tepat %(max)d karakter.",
    "Field must be between %(min)d and %(max)d characters long.": "Harus %(min)d sampai %(max)d karakter.",
    "This field is required.": "Wajib diisi.",
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
