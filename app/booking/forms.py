"""Availability, leave, booking settings, proposals, reschedule and cancel."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField, TimeField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.booking.models import Mode
from app.booking.words import MODE_WORDS
from app.forms import BaseForm, InCalendar, PlainText, WholeNumberField, strip

WEEKDAYS = [_l("Senin"), _l("Selasa"), _l("Rabu"), _l("Kamis"), _l("Jumat"), _l("Sabtu"), _l("Minggu")]


class AvailabilityForm(BaseForm):
    weekday = SelectField(_l("Hari"), choices=[SelectChoice(str(i), d) for i, d in enumerate(WEEKDAYS)],
                          validators=[DataRequired(_l("Pilih hari."))])
    start_time = TimeField(_l("Mulai"), validators=[InputRequired(_l("Jam mulai wajib diisi."))])
    end_time = TimeField(_l("Selesai"), validators=[InputRequired(_l("Jam selesai wajib diisi."))])
    session_minutes = WholeNumberField(_l("Lama sesi (menit)"), default=60, validators=[
        InputRequired(_l("Lama sesi wajib diisi.")), NumberRange(15, 240, _l("Lama sesi 15–240 menit."))])
    buffer_minutes = WholeNumberField(_l("Jeda antarsesi (menit)"), default=15, validators=[
        InputRequired(_l("Jeda wajib diisi.")), NumberRange(0, 120, _l("Jeda 0–120 menit."))])
    mode = SelectField(_l("Bentuk"), choices=[SelectChoice(m.value, MODE_WORDS[m]) for m in Mode],
                       validators=[DataRequired(_l("Pilih bentuk layanan."))])
    room = StringField(_l("Ruang"), filters=[strip], validators=[Optional(), Length(max=200), PlainText()])
    meeting_url = URLField(_l("Tautan pertemuan daring"), filters=[strip], validators=[
        Optional(), URL(message=_l("Tautan tidak valid (awali dengan https://).")), Length(max=500)])

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("Jam selesai harus setelah jam mulai."))

    def validate(self, extra_validators=None):
        """An online window needs its meeting link (checked here: `Optional()` ends the field's own chain)."""
        ok = super().validate(extra_validators)
        if self.mode.data == Mode.ONLINE.value and not self.meeting_url.data:
            self.meeting_url.errors.append(_l("Layanan online memerlukan tautan pertemuan."))
            return False
        return ok


class ExceptionForm(BaseForm):
    day = DateField(_l("Tanggal"), validators=[DataRequired(_l("Tanggal wajib diisi.")), InCalendar()])
    reason = StringField(_l("Keterangan"), filters=[strip], validators=[
        DataRequired(_l("Keterangan wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])


class SettingsForm(BaseForm):
    min_notice_hours = WholeNumberField(_l("Pemberitahuan minimal (jam)"), validators=[
        InputRequired(_l("Wajib diisi.")), NumberRange(0, 24 * 14, _l("0–336 jam."))])
    horizon_days = WholeNumberField(_l("Dapat dipesan hingga (hari ke depan)"), validators=[
        InputRequired(_l("Wajib diisi.")), NumberRange(1, 365, _l("1–365 hari."))])


class ProposalForm(BaseForm):
    first = DateTimeLocalField(_l("Pilihan 1"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("Isi minimal satu waktu.")), InCalendar()])
    second = DateTimeLocalField(_l("Pilihan 2"), format="%Y-%m-%dT%H:%M", validators=[Optional(), InCalendar()])
    third = DateTimeLocalField(_l("Pilihan 3"), format="%Y-%m-%dT%H:%M", validators=[Optional(), InCalendar()])
    # A video session: its link and access code (else the counselor's window's link or room).
    meeting_url = URLField(_l("Tautan pertemuan (opsional)"), filters=[strip], validators=[
        Optional(), URL(message=_l("Tautan tidak valid (awali dengan https://).")), Length(max=500)])
    meeting_code = StringField(_l("Kode rapat / kata sandi (opsional)"), filters=[strip], validators=[
        Optional(), Length(max=100, message=_l("Paling panjang 100 karakter.")), PlainText()])


class ChangeForm(BaseForm):
    reason = TextAreaField(_l("Alasan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan alasannya.")), Length(max=500, message=_l("Paling panjang 500 karakter."))])
    start = StringField(_l("Waktu baru"), validators=[Optional(), Length(max=40)])


class BookForm(BaseForm):
    """The slot the client confirmed (its start, as the page wrote it)."""
    start = StringField(_l("Waktu"), validators=[DataRequired(_l("Pilih salah satu slot.")), Length(max=40)])


class WaitlistForm(BaseForm):
    """Join the waiting list: nothing to type."""


class NoShowForm(BaseForm):
    then = SelectField(_l("Selanjutnya"), choices=[
        SelectChoice("rebook", _l("Tawarkan waktu baru")), SelectChoice("close", _l("Tutup layanan"))],
        default="rebook", validators=[DataRequired(_l("Pilih langkah selanjutnya."))])
