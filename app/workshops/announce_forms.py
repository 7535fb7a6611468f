"""The forms of the prodi list, the roster upload and the announcement's buttons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.forms import BaseForm, PlainText, strip
from app.workshops.roster import CODE, kaprodi_candidates


class ProgramForm(BaseForm):
    code = StringField(_l("Kode prodi"), filters=[strip], validators=[
        DataRequired(_l("Kode prodi wajib diisi.")), Length(max=20, message=_l("Kode prodi paling panjang 20 karakter.")),
        Regexp(CODE.pattern, message=_l("Kode prodi hanya huruf, angka, titik, garis bawah atau tanda hubung."))],
        description=_l("Dipakai pada tautan pendaftaran dan kolom Prodi roster, mis. PMAT."))
    name = StringField(_l("Nama program studi"), filters=[strip], validators=[
        DataRequired(_l("Nama prodi wajib diisi.")), Length(max=200, message=_l("Paling panjang 200 karakter.")),
        PlainText()])
    faculty = StringField(_l("Fakultas"), filters=[strip], validators=[
        Optional(), Length(max=200, message=_l("Paling panjang 200 karakter.")), PlainText()])
    kaprodi_id = SelectField(_l("Kaprodi"), validate_choice=True,
                             description=_l("Pengguna berperan Kaprodi; tambahkan lewat halaman Pengguna bila belum ada."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kaprodi_id.choices = [("", _l("— belum ada —"))] + [(str(u.id), f"{u.name} ({u.email})")
                                                                 for u in kaprodi_candidates()]


class RosterForm(BaseForm):
    file = FileField(_l("Berkas roster (CSV atau XLSX)"), validators=[FileRequired(_l("Pilih berkas roster."))],
                     description=_l("Kolom: NIM, Nama, Prodi (kode atau nama), Semester, E-mail, WhatsApp; bila ada "
                                    "juga Dosen PA (e-mail atau NIDN) dan Status (aktif, cuti, nonaktif, lulus, keluar). "
                                    "CSV dengan pemisah ; atau , dari Excel dapat langsung dipakai."))


class ActionForm(BaseForm):
    """A button's POST: only its CSRF token."""
