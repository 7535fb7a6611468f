"""Forms of the edition page: the edition, committee, surat tugas, meeting, speakers, checklist."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import BaseForm, InCalendar, PlainText, WholeNumberField, strip
from app.workshops.editions import DIVISIONS
from app.workshops.models import CommitteeRole

LOCAL = "%Y-%m-%dT%H:%M"


def _text(label, limit, required=True, message=None):
    first = DataRequired(message or _l("Wajib diisi.")) if required else Optional()
    return StringField(label, filters=[strip], validators=[
        first, Length(max=limit, message=_l("Paling panjang %(max)d karakter.", max=limit)), PlainText()])


class EditionForm(BaseForm):
    title = _text(_l("Judul workshop"), 300, message=_l("Judul workshop wajib diisi."))
    starts_at = DateTimeLocalField(_l("Tanggal dan jam workshop"), format=LOCAL, validators=[
        DataRequired(_l("Tanggal workshop wajib diisi.")), InCalendar()])
    capacity = WholeNumberField(_l("Kapasitas (kursi)"), validators=[
        InputRequired(_l("Kapasitas wajib diisi.")), NumberRange(1, 10_000, _l("Kapasitas 1–10.000 peserta."))])
    register_until = DateTimeLocalField(_l("Batas pendaftaran"), format=LOCAL, validators=[Optional(), InCalendar()])


class MemberForm(BaseForm):
    user_id = SelectField(_l("Anggota"), validators=[DataRequired(_l("Pilih anggota panitia."))])
    role = SelectField(_l("Peran dalam panitia"), choices=[SelectChoice(r.value, r.value) for r in CommitteeRole],
                       validators=[DataRequired(_l("Pilih peran."))])
    division = SelectField(_l("Unsur"), choices=[SelectChoice(d, d) for d in DIVISIONS],
                           validators=[DataRequired(_l("Pilih unsur panitia."))])


class ActionForm(BaseForm):
    """A button that only needs its CSRF token."""


class DecisionForm(BaseForm):
    decision = SelectField(_l("Keputusan"), choices=[SelectChoice("disetujui", _l("Disetujui")),
                                                     SelectChoice("dikembalikan untuk perbaikan",
                                                                  _l("Dikembalikan untuk perbaikan"))],
                           validators=[DataRequired(_l("Pilih keputusan."))])
    note = TextAreaField(_l("Catatan untuk P2KLLK"), filters=[strip], validators=[
        Optional(), Length(max=2000, message=_l("Paling panjang 2000 karakter."))])

    def validate(self, extra_validators=None):
        """A return needs its reason (checked here: `Optional()` ends the field's own chain)."""
        ok = super().validate(extra_validators)
        if self.decision.data == "dikembalikan untuk perbaikan" and not self.note.data:
            self.note.errors.append(_l("Tuliskan apa yang perlu diperbaiki."))
            return False
        return ok


class MeetingForm(BaseForm):
    meeting_at = DateTimeLocalField(_l("Waktu rapat"), format=LOCAL, validators=[
        DataRequired(_l("Waktu rapat wajib diisi.")), InCalendar()])
    place = _text(_l("Tempat atau tautan rapat"), 300, message=_l("Tempat rapat wajib diisi."))


class OutcomeForm(BaseForm):
    theme = _text(_l("Tema yang disepakati"), 300, message=_l("Tema wajib diisi."))


class SpeakerForm(BaseForm):
    name = _text(_l("Nama narasumber"), 200, message=_l("Nama narasumber wajib diisi."))
    institution = _text(_l("Instansi"), 200, required=False)
    topic = _text(_l("Topik"), 300, required=False)
    contact = _text(_l("Kontak (e-mail atau WhatsApp)"), 200, required=False)
    confirmed = BooleanField(_l("Sudah terkonfirmasi"))


class SpeakerConfirmForm(BaseForm):
    confirmed = HiddenField()


class ItemForm(BaseForm):
    title = _text(_l("Butir persiapan"), 300, message=_l("Butir persiapan wajib diisi."))


class AssignForm(BaseForm):
    assignee_id = SelectField(_l("Penanggung jawab"), validate_choice=True)


class DoneForm(BaseForm):
    done = HiddenField()


class PreparationForm(BaseForm):
    venue = _text(_l("Tempat pelaksanaan"), 300, message=_l("Tempat pelaksanaan wajib diisi."))
