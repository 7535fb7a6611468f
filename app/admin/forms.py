"""The forms admins fill in: a user, a unit (name, letterhead, working hours)."""
from flask_babel import lazy_gettext as _l

from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.auth.roles import known_roles
from app.org.services import all_units
from app.forms import BaseForm, PlainText, strip


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        unknown = [value for value in self.data or () if value not in allowed]
        if unknown:
            raise ValidationError(_l("Pilihan tidak dikenal: %(values)s", values=", ".join(unknown)[:200]))


class UserForm(BaseForm):
    name = StringField(_l("Nama lengkap"), filters=[strip], validators=[
        DataRequired(_l("Nama wajib diisi.")), Length(max=120, message=_l("Nama paling panjang 120 karakter.")), PlainText()])
    email = StringField(_l("E-mail"), filters=[strip], validators=[
        DataRequired(_l("E-mail wajib diisi.")), Length(max=254, message=_l("E-mail terlalu panjang.")),
        Email(_l("Alamat e-mail tidak valid."), check_deliverability=False)])
    phone = StringField(_l("Nomor WhatsApp"), filters=[strip], validators=[
        Optional(), Regexp(r"^\+?[0-9 ()-]{6,20}$", message=_l("Nomor telepon hanya boleh berisi angka, spasi, tanda + ( ) -."))])
    employee_number = StringField(_l("NIP / NIDN / NIM"), filters=[strip], validators=[
        Optional(), Length(max=40, message=_l("Paling panjang 40 karakter.")), PlainText()])
    roles = MultiCheckboxField(_l("Peran"), validators=[DataRequired(_l("Pilih minimal satu peran."))])
    units = MultiCheckboxField(_l("Unit layanan"), description=_l(
        "Pengguna hanya melihat layanan unit-unitnya yang ditujukan untuk perannya."))
    active = BooleanField(_l("Aktif"), default=True)
    confirm_email = BooleanField(_l("Alamat e-mail ini sudah saya pastikan milik pengguna"), description=_l(
        "Pengguna mendaftar sendiri dan belum membuka tautan konfirmasi dari e-mailnya, jadi belum dapat masuk. "
        "Centang bila tautannya tidak sampai dan Anda sudah memastikan alamatnya (mis. bertemu langsung), lalu isi "
        "kata sandi sementara di bawah untuk Anda sampaikan sendiri: kata sandi pendaftarannya tidak berlaku lagi."))
    password = PasswordField(_l("Kata sandi"), validators=[
        Optional(), Length(min=8, max=256, message=_l("Kata sandi 8–256 karakter."))],
        description=_l("Kosongkan untuk membuat kata sandi acak (pengguna baru) atau tidak mengubahnya."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = [SelectChoice(code, str(label)) for code, label in known_roles().items()]
        self.units.choices = [SelectChoice(str(u.id), f"{u.name} · {u.institution_name}") for u in all_units()]


DAYS = (_l("Senin"), _l("Selasa"), _l("Rabu"), _l("Kamis"), _l("Jumat"), _l("Sabtu"), _l("Minggu"))
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class UnitForm(BaseForm):
    """A unit's name, letterhead and working hours (open_<day>/close_<day>, Monday = 0)."""

    name = StringField(_l("Nama unit"), filters=[strip], validators=[
        DataRequired(_l("Nama unit wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])
    institution_name = StringField(_l("Nama lembaga (baris pertama kop surat)"), filters=[strip], validators=[
        DataRequired(_l("Nama lembaga wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])
    code = StringField(_l("Kode unit (pada nomor surat)"), filters=[strip], validators=[
        DataRequired(_l("Kode unit wajib diisi.")),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,29}$", message=_l("Kode unit: huruf, angka, titik atau tanda hubung, paling panjang 30."))])
    address = StringField(_l("Alamat"), filters=[strip], validators=[
        Optional(), Length(max=400, message=_l("Paling panjang 400 karakter.")), PlainText()])
    city = StringField(_l("Kota (untuk tanggal surat)"), filters=[strip], validators=[
        Optional(), Length(max=80, message=_l("Paling panjang 80 karakter.")), PlainText()])
    phone = StringField(_l("Telepon"), filters=[strip], validators=[
        Optional(), Regexp(r"^\+?[0-9 ()-]{6,40}$", message=_l("Nomor telepon hanya boleh berisi angka, spasi, tanda + ( ) -."))])
    email = StringField(_l("E-mail"), filters=[strip], validators=[
        Optional(), Length(max=120, message=_l("E-mail terlalu panjang.")),
        Email(_l("Alamat e-mail tidak valid."), check_deliverability=False)])
    website = StringField(_l("Situs web"), filters=[strip], validators=[
        Optional(), Length(max=120, message=_l("Paling panjang 120 karakter.")), PlainText()])

    def days(self):
        """(label, open field, close field) per weekday, Monday first."""
        return [(DAYS[d], self[f"open_{d}"], self[f"close_{d}"]) for d in range(7)]

    def fill_hours(self, hours: dict) -> None:
        for day, (start, end) in hours.items():
            self[f"open_{int(day)}"].data, self[f"close_{int(day)}"].data = start, end

    def hours(self) -> dict:
        """The working hours entered: weekday -> (open, close); a day left empty is closed."""
        from datetime import time

        return {d: (time.fromisoformat(self[f"open_{d}"].data), time.fromisoformat(self[f"close_{d}"].data))
                for d in range(7) if self[f"open_{d}"].data}

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for _label, start, end in self.days():
            if start.errors or end.errors:
                continue
            if bool(start.data) != bool(end.data):
                end.errors = [*end.errors, _l("Isi jam buka dan jam tutup, atau kosongkan keduanya.")]
                ok = False
            elif start.data and start.data >= end.data:
                end.errors = [*end.errors, _l("Jam tutup harus sesudah jam buka.")]
                ok = False
        return ok


for _day in range(7):
    setattr(UnitForm, f"open_{_day}", StringField(_l("Buka"), filters=[strip], validators=[
        Optional(), Regexp(HHMM, message=_l("Tulis jam sebagai JJ:MM, mis. 08:00."))]))
    setattr(UnitForm, f"close_{_day}", StringField(_l("Tutup"), filters=[strip], validators=[
        Optional(), Regexp(HHMM, message=_l("Tulis jam sebagai JJ:MM, mis. 16:00."))]))
