"""The document types the SOPs produce (their luaran), each with a default wording and number
format. Admins may replace both in the app; the defaults stay here."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DocType:
    code: str
    label: str
    number_format: str
    body: str
    # One per person (a certificate per attendee): listed where they are given, not on the case
    per_person: bool = False


_OPEN = "<p>Yang bertanda tangan di bawah ini, {{ signer.position or 'Kepala' }} {{ institution.unit }} {{ institution.name }}, "

DOC_TYPES = {t.code: t for t in [
    DocType("surat_rekomendasi", "Surat Rekomendasi Konseling", "{seq:03d}/{unit}/REK/{month_roman}/{year}",
            _OPEN + "merekomendasikan kepada:</p>\n"
            "<table class=\"fields\"><tr><td>Konselor</td><td>: {{ assignee or '—' }}</td></tr></table>\n"
            "<p>untuk memberikan layanan konseling karier kepada:</p>\n"
            "<table class=\"fields\"><tr><td>Nama</td><td>: {{ person }}</td></tr>"
            "<tr><td>NIM / tahun lulus</td><td>: {{ data.nim or '—' }}</td></tr>"
            "<tr><td>Program studi</td><td>: {{ data.prodi or '—' }}</td></tr>"
            "<tr><td>Bentuk layanan</td><td>: {{ data.mode or '—' }}</td></tr></table>\n"
            "<p>Konselor diminta menghubungi pemohon untuk menyusun kesepakatan pelaksanaan konseling. "
            "Demikian surat rekomendasi ini dibuat untuk dilaksanakan sebagaimana mestinya.</p>"),
    DocType("surat_tugas", "Surat Tugas", "{seq:03d}/ST/{unit}/{month_roman}/{year}",
            _OPEN + "menugaskan panitia berikut:</p>\n<div class=\"list\">{{ data.committee or '—' }}</div>\n"
            "<p>sebagai Panitia Workshop Minat Bakat Mahasiswa {{ year }}, untuk menyiapkan, melaksanakan, "
            "dan melaporkan kegiatan tersebut. Demikian surat tugas ini dibuat untuk dilaksanakan dengan penuh "
            "tanggung jawab.</p>"),
    DocType("surat_pemberitahuan", "Surat Pemberitahuan", "{seq:03d}/{unit}/PEM/{month_roman}/{year}",
            "<p>Kepada Yth.<br>{{ recipient or 'Ketua Program Studi' }}<br>"
            "{% if data.prodi %}Ketua Program Studi {{ data.prodi }}<br>{% endif %}di tempat</p>\n"
            "<p>Dengan hormat, kami memberitahukan bahwa {{ institution.unit }} menyelenggarakan "
            "Workshop Minat Bakat dengan tema <strong>{{ data.theme or '—' }}</strong> pada "
            "{{ data.hari_workshop or '—' }} bertempat di {{ data.venue or '—' }}. Kami mohon Bapak/Ibu "
            "berkenan meneruskan informasi ini kepada mahasiswa semester 3 dan 5.</p>\n"
            "{% if link %}<p>Pendaftaran peserta melalui tautan atau kode QR berikut.</p>\n{% endif %}"
            "<p>Atas perhatian dan kerja samanya kami ucapkan terima kasih.</p>"),
    DocType("berita_acara_pelaksanaan", "Berita Acara Pelaksanaan Layanan Konseling",
            "{seq:03d}/BA/{unit}/{month_roman}/{year}",
            "<p>Pada hari ini, {{ date }}, telah disiapkan fasilitas dan dilaksanakan layanan konseling "
            "dengan keterangan:</p>\n<table class=\"fields\"><tr><td>Konseli</td><td>: {{ person }}</td></tr>"
            "<tr><td>Konselor</td><td>: {{ assignee or '—' }}</td></tr>"
            "<tr><td>Waktu</td><td>: {{ data.agreed_at or '—' }}</td></tr>"
            "<tr><td>Tempat</td><td>: {{ data.place or '—' }}</td></tr></table>\n"
            "<p>Demikian berita acara ini dibuat dengan sebenarnya.</p>"),
    DocType("berita_acara_pengakhiran", "Berita Acara Pengakhiran Layanan",
            "{seq:03d}/BA-AKHIR/{unit}/{month_roman}/{year}",
            "<p>Pada hari ini, {{ date }}, layanan konseling atas nama {{ person }} (kasus #{{ case_id }}) "
            "diakhiri atas kesepakatan konselor dan klien{% if data.outcome %}, dengan hasil layanan: "
            "{{ data.outcome }}{% endif %}.</p>\n<table class=\"fields\"><tr><td>Konselor</td><td>: "
            "{{ assignee or '—' }}</td></tr></table>\n<p>Demikian berita acara ini dibuat dengan "
            "sebenarnya untuk dipergunakan sebagaimana mestinya.</p>"),
    DocType("laporan_konseling", "Laporan Layanan Konseling", "{seq:03d}/LAP/{unit}/{month_roman}/{year}",
            "<p>Telah dilaksanakan layanan {{ service }} (kasus #{{ case_id }}) untuk {{ person }} oleh "
            "{{ assignee or 'petugas' }}. Isi konseling bersifat rahasia dan tersimpan dalam sistem; laporan ini "
            "mencatat bahwa layanan telah selesai dilaksanakan sesuai SOP.</p>"),
    DocType("laporan_kegiatan", "Laporan Kegiatan Workshop Minat Bakat", "{seq:03d}/LAP-KEG/{unit}/{month_roman}/{year}",
            "<p>Workshop Minat Bakat dengan tema <strong>{{ data.theme or '—' }}</strong> telah dilaksanakan pada "
            "{{ data.hari_workshop or '—' }} dengan {{ data.attendees or '—' }} peserta.</p>\n"
            "<div class=\"list\">{{ data.report or '' }}</div>\n"
            "<p>Tindak lanjut konseling karier: {{ data.follow_up or 'tidak ada' }}.</p>"),
    DocType("surat_rujukan", "Surat Rujukan", "{seq:03d}/RUJ/{unit}/{month_roman}/{year}",
            "<p>Kepada Yth.<br>{{ data.external_party or recipient or 'Pihak yang dituju' }}<br>di tempat</p>\n"
            "<p>Dengan hormat, bersama ini kami merujuk {{ person }} untuk mendapatkan layanan lanjutan "
            "yang tidak tersedia di unit kami. Mohon hasil layanan dapat disampaikan kembali kepada kami.</p>\n"
            "<p>Atas kerja samanya kami ucapkan terima kasih.</p>"),
    DocType("surat_rekomendasi_lanjutan", "Surat Rekomendasi Layanan Lanjutan",
            "{seq:03d}/REK-LANJUT/{unit}/{month_roman}/{year}",
            _OPEN + "merekomendasikan {{ person }} untuk mendapatkan layanan lanjutan sesuai kebutuhan yang telah "
            "diidentifikasi dalam proses konseling (kasus #{{ case_id }}).</p>"),
    DocType("nota_dinas", "Nota Dinas", "ND-{seq:03d}/{unit}/{month_roman}/{year}",
            "<table class=\"fields\"><tr><td>Kepada</td><td>: {{ recipient or 'Pimpinan' }}</td></tr>"
            "<tr><td>Dari</td><td>: {{ signer.position or 'Kepala Unit' }}</td></tr>"
            "<tr><td>Hal</td><td>: {{ service }} (kasus #{{ case_id }})</td></tr></table>\n"
            "<p>Bersama ini kami laporkan tindak lanjut penanganan {{ person }} sebagaimana tercatat dalam sistem, "
            "untuk mendapat arahan lebih lanjut.</p>"),
    DocType("lembar_disposisi", "Lembar Disposisi", "DISP-{seq:03d}/{unit}/{year}",
            "<table class=\"fields\"><tr><td>Perihal</td><td>: {{ service }} (kasus #{{ case_id }})</td></tr>"
            "<tr><td>Diteruskan kepada</td><td>: {{ recipient or 'Kepala Unit' }}</td></tr>"
            "<tr><td>Isi disposisi</td><td>: {{ data.instruction or '—' }}</td></tr></table>"),
    DocType("informed_consent", "Persetujuan Layanan Konseling (Informed Consent)",
            "{seq:03d}/IC/{unit}/{month_roman}/{year}",
            "<p>Yang bertanda tangan di bawah ini:</p>\n"
            "<table class=\"fields\"><tr><td>Nama</td><td>: {{ data.consent_name or person }}</td></tr>"
            "{% if data.consent_relation %}<tr><td>Hubungan dengan klien</td><td>: {{ data.consent_relation }} "
            "dari {{ person }}</td></tr>{% endif %}"
            "<tr><td>Tanggal</td><td>: {{ date }}</td></tr>"
            "<tr><td>Dijelaskan oleh</td><td>: {{ data.consent_explained_by or assignee or '—' }}</td></tr></table>\n"
            "<p>telah mendapat penjelasan tentang layanan konseling yang akan diberikan, termasuk kerahasiaannya "
            "dan hak untuk menarik persetujuan kapan saja, dan menyatakan <strong>{{ data.consent or 'setuju' }}</strong> "
            "mengikuti layanan tersebut (kasus #{{ case_id }}).</p>\n"
            "<p>Tanda tangan: <em>{{ data.consent_signature or '—' }}</em></p>"),
    DocType("sertifikat", "Sertifikat", "{seq:04d}/SERT/{unit}/{year}",
            "<p class=\"center\">diberikan kepada</p><p class=\"center big\">{{ person }}</p>"
            "<p class=\"center\">NIM {{ data.nim or '—' }} · {{ data.prodi or '—' }}</p>"
            "<p class=\"center\">sebagai peserta {{ data.workshop_title or service }} pada "
            "{{ data.workshop_date or year }}.</p>", per_person=True),
]}

NUMBER_KEYS = {"seq", "year", "month", "month_roman", "unit"}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
