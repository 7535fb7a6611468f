"""The simple letter editor: plain paragraphs with placeholders, and a number format from parts.

Office staff write a letter as text. A placeholder is a token such as `{{nama_konselor}}`; the
placeholders a letter type offers are listed with Indonesian labels. The text becomes a template
for the same bounded sandbox the advanced (HTML) editor uses, built so that everything typed is
text: it is HTML-escaped and every `{` is printed as a string, so `{{ config }}`, `{% … %}` and
`<script>` come out as typed. Only the known tokens become expressions, and those expressions
come from the table below, never from the text.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from app.errors import DomainError


@dataclass(frozen=True)
class Placeholder:
    key: str
    label: str
    expression: str  # a name in the letter's context (services.letter_context)

    @property
    def token(self) -> str:
        return "{{%s}}" % self.key


def _p(key, label, expression):
    return Placeholder(key, label, expression)


COMMON = [
    _p("nomor_surat", _l("Nomor surat"), "number"),
    _p("tanggal_surat", _l("Tanggal surat"), "date"),
    _p("tahun", _l("Tahun"), "year"),
    _p("nama_lembaga", _l("Nama lembaga"), "institution.name"),
    _p("nama_unit", _l("Nama unit"), "institution.unit"),
    _p("kepada", _l("Kepada (penerima)"), "recipient"),
    _p("nama_klien", _l("Nama klien / pemohon"), "person"),
    _p("nama_konselor", _l("Nama konselor"), "assignee"),
    _p("nama_layanan", _l("Nama layanan"), "service"),
    _p("nomor_kasus", _l("Nomor kasus"), "case_id"),
    _p("nama_penanda_tangan", _l("Nama penanda tangan"), "signer.name"),
    _p("jabatan_penanda_tangan", _l("Jabatan penanda tangan"), "signer.position"),
    _p("nip_penanda_tangan", _l("NIP/NIDN penanda tangan"), "signer.nip"),
]
_THEME = _p("tema_workshop", _l("Tema workshop"), "data.theme")
_WORKSHOP_DAY = _p("hari_workshop", _l("Hari workshop"), "data.hari_workshop")
# What a case's steps record that a letter type prints (the keys of case.data).
BY_TYPE = {
    "surat_rekomendasi": [_p("nim", _l("NIM / tahun lulus"), "data.nim"), _p("prodi", _l("Program studi"), "data.prodi"),
                          _p("bentuk_layanan", _l("Bentuk layanan"), "data.mode")],
    "surat_tugas": [_p("daftar_panitia", _l("Daftar panitia"), "data.committee")],
    "surat_pemberitahuan": [_THEME, _WORKSHOP_DAY, _p("tempat_workshop", _l("Tempat workshop"), "data.venue"),
                            _p("prodi", _l("Program studi"), "data.prodi"),
                            _p("tautan_pendaftaran", _l("Tautan pendaftaran"), "link")],
    "berita_acara_pelaksanaan": [_p("tanggal_sesi", _l("Tanggal sesi"), "data.agreed_at"),
                                 _p("tempat_sesi", _l("Tempat sesi"), "data.place")],
    "laporan_kegiatan": [_THEME, _WORKSHOP_DAY, _p("jumlah_peserta", _l("Jumlah peserta"), "data.attendees"),
                         _p("ringkasan_kegiatan", _l("Ringkasan kegiatan"), "data.report"),
                         _p("tindak_lanjut", _l("Tindak lanjut konseling karier"), "data.follow_up")],
    "surat_rujukan": [_p("pihak_tujuan", _l("Pihak yang dituju"), "data.external_party")],
    "lembar_disposisi": [_p("isi_disposisi", _l("Isi disposisi"), "data.instruction")],
    "sertifikat": [_p("nim", _l("NIM"), "data.nim"), _p("prodi", _l("Program studi"), "data.prodi"),
                   _p("judul_workshop", _l("Judul workshop"), "data.workshop_title"),
                   _p("tanggal_workshop", _l("Tanggal workshop"), "data.workshop_date")],
}


def placeholders_for(doc_type: str) -> list[Placeholder]:
    """The placeholders a letter type offers: its own first, then those every letter has."""
    return [*BY_TYPE.get(doc_type, []), *COMMON]


# The first text the simple editor offers for a type still on its built-in (HTML) wording.
_CLOSE = "\n\nDemikian surat ini dibuat untuk dipergunakan sebagaimana mestinya."
STARTERS = {
    "surat_rekomendasi": "Yang bertanda tangan di bawah ini, {{jabatan_penanda_tangan}} {{nama_unit}} {{nama_lembaga}}, "
                         "merekomendasikan {{nama_konselor}} untuk memberikan layanan konseling karier kepada "
                         "{{nama_klien}} (NIM / tahun lulus {{nim}}, program studi {{prodi}}) dalam bentuk "
                         "{{bentuk_layanan}}.\n\nKonselor diminta menghubungi pemohon untuk menyusun kesepakatan "
                         "pelaksanaan konseling." + _CLOSE,
    "surat_tugas": "Yang bertanda tangan di bawah ini, {{jabatan_penanda_tangan}} {{nama_unit}} {{nama_lembaga}}, "
                   "menugaskan panitia berikut:\n{{daftar_panitia}}\n\nsebagai Panitia Workshop Minat Bakat Mahasiswa "
                   "{{tahun}}, untuk menyiapkan, melaksanakan, dan melaporkan kegiatan tersebut." + _CLOSE,
    "surat_pemberitahuan": "Kepada Yth.\n{{kepada}}\ndi tempat\n\nDengan hormat, kami memberitahukan bahwa {{nama_unit}} "
                           "menyelenggarakan Workshop Minat Bakat dengan tema {{tema_workshop}} pada {{hari_workshop}} "
                           "bertempat di {{tempat_workshop}}. Kami mohon Bapak/Ibu berkenan meneruskan informasi ini "
                           "kepada mahasiswa semester 3 dan 5.\n\nAtas perhatian dan kerja samanya kami ucapkan "
                           "terima kasih.",
    "berita_acara_pelaksanaan": "Pada hari ini, {{tanggal_surat}}, telah disiapkan fasilitas dan dilaksanakan layanan "
                                "konseling bagi {{nama_klien}} oleh {{nama_konselor}} pada {{tanggal_sesi}} di "
                                "{{tempat_sesi}}.\n\nDemikian berita acara ini dibuat dengan sebenarnya.",
    "surat_rujukan": "Kepada Yth.\n{{pihak_tujuan}}\ndi tempat\n\nDengan hormat, bersama ini kami merujuk {{nama_klien}} "
                     "untuk mendapatkan layanan lanjutan yang tidak tersedia di unit kami. Mohon hasil layanan dapat "
                     "disampaikan kembali kepada kami.\n\nAtas kerja samanya kami ucapkan terima kasih.",
    "nota_dinas": "Kepada: {{kepada}}\nDari: {{jabatan_penanda_tangan}}\nHal: {{nama_layanan}} (kasus #{{nomor_kasus}})"
                  "\n\nBersama ini kami laporkan tindak lanjut penanganan {{nama_klien}} sebagaimana tercatat dalam "
                  "sistem, untuk mendapat arahan lebih lanjut.",
}


def starter_text(doc_type: str) -> str:
    return STARTERS.get(doc_type, "Dengan hormat,\n\nbersama ini kami sampaikan bahwa layanan {{nama_layanan}} "
                                  "untuk {{nama_klien}} (kasus #{{nomor_kasus}}) telah dilaksanakan." + _CLOSE)


_TOKEN = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def unknown_placeholders(text: str, doc_type: str) -> list[str]:
    """Tokens typed like a placeholder that the letter type does not offer ({{nama_klein}})."""
    known = {p.key for p in placeholders_for(doc_type)}
    return list(dict.fromkeys(m.group(0) for m in _TOKEN.finditer(text) if m.group(1) not in known))


def _literal(text: str) -> str:
    """Typed text as template source that prints exactly that text: HTML-escaped, and every `{`
    an expression printing "{", so no Jinja tag, expression or comment can begin."""
    return str(escape(text)).replace("{", "{{ '{' }}")


def to_jinja(text: str, doc_type: str) -> str:
    """The simple text as a sandbox template: paragraphs (blank lines) as <p>, line breaks as
    <br>, known placeholders as their expressions, and everything else literal."""
    known = {p.key: p.expression for p in placeholders_for(doc_type)}
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))]
    out = []
    for paragraph in filter(None, paragraphs):
        pieces, last = [], 0
        for match in _TOKEN.finditer(paragraph):
            if match.group(1) in known:
                pieces += [_literal(paragraph[last:match.start()]), "{{ %s }}" % known[match.group(1)]]
                last = match.end()
        pieces.append(_literal(paragraph[last:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


# -- the number format from parts -------------------------------------------------------------
PART_KINDS = [("", _l("— tidak dipakai —")), ("seq", _l("Nomor urut")), ("unit", _l("Kode unit")),
              ("code", _l("Kode surat (isi sendiri)")), ("month_roman", _l("Bulan (angka romawi)")),
              ("month", _l("Bulan (angka)")), ("year", _l("Tahun"))]
PART_ROWS = 8
_FIELDS = {"seq": "{seq}", "unit": "{unit}", "month_roman": "{month_roman}", "month": "{month:02d}", "year": "{year}"}
CODE = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")
_RUN = re.compile(rf"({CODE.pattern})|([^A-Za-z0-9]+)")


@dataclass
class Part:
    kind: str
    value: str = ""
    sep: str = ""


def build_number_format(padding: int, parts: list[Part]) -> str:
    """The format string of parts in order, each followed by its separator (not after the last).
    DomainError (field "number_format") when the parts cannot make a number."""
    used = [p for p in parts if p.kind]
    if [p.kind for p in used].count("seq") != 1:
        raise DomainError(_("Pilih bagian \"Nomor urut\" tepat satu kali."), "number_format")
    out = []
    for i, part in enumerate(used):
        if part.kind == "code":
            if not CODE.fullmatch(part.value or ""):
                raise DomainError(_("Kode surat hanya huruf dan angka (boleh dipisah - atau .), mis. REK."),
                                  "number_format")
            out.append(part.value)
        elif part.kind == "seq":
            out.append("{seq:0%dd}" % padding if padding > 1 else "{seq}")
        else:
            out.append(_FIELDS[part.kind])
        if i < len(used) - 1:
            if re.search(r"[{}<>\x00-\x1f]", part.sep):
                raise DomainError(_("Pemisah tidak boleh memuat { } < >."), "number_format")
            out.append(part.sep)
    return "".join(out)


def parse_number_format(fmt: str) -> tuple[int, list[Part]] | None:
    """(padding, parts) of a format the builder can show, or None (then only the advanced editor
    can change it): literal text becomes codes and separators."""
    parts: list[Part] = []
    padding = 1

    def literal(text: str) -> bool:
        for code, sep in _RUN.findall(text):
            if code:
                parts.append(Part("code", code))
            elif parts:
                parts[-1].sep += sep
            else:
                return False  # a separator before the first part
        return True

    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        return None
    for text, name, spec, conversion in parsed:
        if text and not literal(text):
            return None
        if name is None:
            continue
        if conversion or (name, spec) not in {("seq", ""), ("unit", ""), ("month_roman", ""), ("month", "02d"),
                                              ("year", "")} and not (name == "seq" and re.fullmatch(r"0[1-6]d", spec)):
            return None
        if name == "seq" and spec:
            padding = int(spec[1])
        parts.append(Part(name))
    if len(parts) > PART_ROWS:
        return None
    try:
        return (padding, parts) if build_number_format(padding, parts) == fmt else None
    except DomainError:
        return None
