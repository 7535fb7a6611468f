"""Forms of online counseling: a message, a step done in the conversation, a proposed session,
a shift of the duty rota. The wizard's stages use the step's own inputs (app.sop.forms)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField, TimeField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

from app.booking.forms import WEEKDAYS
from app.booking.models import Mode
from app.forms import BaseForm, PlainText, strip


class MessageForm(BaseForm):
    text = TextAreaField(_l("Pesan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan pesan Anda.")), Length(max=4000, message=_l("Paling panjang 4000 karakter."))])


class FinishForm(BaseForm):
    """The closing report (its own id: the message box on the same page is `text` too)."""
    text = TextAreaField(_l("Laporan"), id="report_text", filters=[strip], validators=[
        DataRequired(_l("Tuliskan laporannya.")), Length(max=4000, message=_l("Paling panjang 4000 karakter."))])


class SessionForm(BaseForm):
    """A session proposed at one of the counselor's free slots (the choices, by day: the route's)."""
    start = SelectField(_l("Waktu (slot kosong Anda)"), validators=[DataRequired(_l("Pilih waktunya."))])
    mode = SelectField(_l("Bentuk"), choices=[SelectChoice(Mode.ONLINE.value, _l("video (online)")),
                                              SelectChoice(Mode.IN_PERSON.value, _l("tatap muka"))],
                       validators=[DataRequired(_l("Pilih bentuk sesi."))])
    meeting_url = URLField(_l("Tautan pertemuan"), filters=[strip], description=_l(
        "Untuk sesi video. Sesi tatap muka di ruang yang Anda catat pada ketersediaan."), validators=[
        Optional(), URL(message=_l("Tautan tidak valid (awali dengan https://).")), Length(max=500)])
    meeting_code = StringField(_l("Kode rapat / kata sandi"), filters=[strip], validators=[
        Optional(), Length(max=100, message=_l("Paling panjang 100 karakter.")), PlainText()])


class ShiftForm(BaseForm):
    unit = SelectField(_l("Unit"), coerce=str, validators=[DataRequired(_l("Pilih unit."))])
    counselor = SelectField(_l("Konselor"), coerce=str, validators=[DataRequired(_l("Pilih konselor."))])
    weekday = SelectField(_l("Hari"), choices=[SelectChoice(str(i), d) for i, d in enumerate(WEEKDAYS)],
                          validators=[DataRequired(_l("Pilih hari."))])
    start_time = TimeField(_l("Mulai"), validators=[InputRequired(_l("Jam mulai wajib diisi."))])
    end_time = TimeField(_l("Selesai"), validators=[InputRequired(_l("Jam selesai wajib diisi."))],
                         description=_l("00.00 berarti sampai tengah malam."))


class DeleteShiftForm(BaseForm):
    """Take a shift off the rota: nothing to type."""


class StartForm(BaseForm):
    """Begin the e-konseling: nothing to type."""
