"""The lembar disposisi form (recipient, the standard choices, a note, a deadline) and the
report that a disposition was carried out."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.forms import BaseForm, InCalendar, PlainText, strip


class ChecksField(SelectMultipleField):
    """Checkboxes; an unknown value is refused with a clear message."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {choice[0] for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(_l("Pilihan tidak tersedia."))


class DispositionForm(BaseForm):
    to_user = SelectField(_l("Diteruskan kepada"), coerce=str,
                          validators=[DataRequired(_l("Pilih penerima disposisi."))])
    instructions = ChecksField(_l("Dengan hormat harap"),
                               validators=[DataRequired(_l("Pilih minimal satu isi disposisi."))])
    note = TextAreaField(_l("Catatan disposisi"), filters=[strip], validators=[
        Optional(), Length(max=1000, message=_l("Paling panjang %(n)d karakter.", n=1000)), PlainText()],
        description=_l("Arahan pimpinan; isi konseling yang rahasia tidak ditulis di sini (lembar disposisi dicetak)."))
    due_on = DateField(_l("Batas waktu"), validators=[DataRequired(_l("Isi batas waktu.")), InCalendar()],
                       render_kw={"type": "date"})


class CarryOutForm(BaseForm):
    note = TextAreaField(_l("Yang telah dilaksanakan"), filters=[strip], validators=[
        DataRequired(_l("Tuliskan apa yang telah dilaksanakan.")),
        Length(max=1000, message=_l("Paling panjang %(n)d karakter.", n=1000)), PlainText()])
