"""The forms of the evaluation and the report."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.forms import BaseForm, strip
from app.workshops.evaluations import MAX_TEXT, QUESTIONS, RATINGS
from app.workshops.reports import MAX_REPORT

_SCALE = [SelectChoice(r, str(r)) for r in RATINGS]


def _rating(label):
    return RadioField(label, choices=_SCALE, coerce=int, validate_choice=True,
                      validators=[DataRequired(_l("Pilih nilai 1 sampai 5."))])


class EvaluationForm(BaseForm):
    """Three ratings (1 = kurang sekali, 5 = sangat baik), interests, comments, and the wish for
    career counseling."""

    materi = _rating(QUESTIONS["materi"])
    narasumber = _rating(QUESTIONS["narasumber"])
    penyelenggaraan = _rating(QUESTIONS["penyelenggaraan"])
    interests = TextAreaField(_l("Minat dan bakat yang ingin Anda kembangkan"), filters=[strip],
                              validators=[Optional(), Length(max=MAX_TEXT, message=_l("Paling banyak %(max)d karakter."))])
    comments = TextAreaField(_l("Kritik dan saran"), filters=[strip],
                             validators=[Optional(), Length(max=MAX_TEXT, message=_l("Paling banyak %(max)d karakter."))])
    wants_counseling = BooleanField(_l("Saya ingin konseling karier"))

    def ratings(self) -> dict:
        return {key: getattr(self, key).data for key in QUESTIONS}


class ReportForm(BaseForm):
    report = TextAreaField(_l("Teks laporan"), filters=[strip], validators=[
        DataRequired(_l("Laporan tidak boleh kosong.")),
        Length(max=MAX_REPORT, message=_l("Laporan paling banyak %(max)d karakter."))])


class ActionForm(BaseForm):
    """A button's POST: only the CSRF token."""
