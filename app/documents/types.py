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
    # Signed by whoever completes the step (a leader's lembar disposisi), not the head of unit
    signed_by_actor: bool = False
    # Leadership's own paper about the person (a memo, a disposition): never shown to that person
    internal: bool = False


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
            "<p>Kepada Yth.<br>{{ data.external_party or recipient or 'Pihak yang dituju' }}<br>"
            "{% if data.external_institution %}{{ data.external_institution }}<br>{% endif %}"
            "{% if data.external_address %}{{ data.external_address }}<br>{% endif %}di tempat</p>\n"
            "<p>Dengan hormat, bersama ini kami merujuk {{ person }} untuk mendapatkan layanan lanjutan "
            "yang tidak tersedia di unit kami. Mohon hasil layanan dapat disampaikan kembali kepada kami.</p>\n"
            "<p>Atas kerja samanya kami ucapkan terima kasih.</p>"),
    DocType("surat_rekomendasi_lanjutan", "Surat Rekomendasi Layanan Lanjutan",
            "{seq:03d}/REK-LANJUT/{unit}/{month_roman}/{year}",
            _OPEN + "merekomendasikan {{ person }} untuk mendapatkan layanan lanjutan sesuai kebutuhan yang telah "
            "diidentifikasi dalam proses konseling (kasus #{{ case_id }}).</p>"),
    DocType("nota_dinas", "Nota Dinas", "ND-{seq:03d}/{unit}/{month_roman}/{year}",
            "<table class=\"fields\"><tr><td>Yth.</td><td>: {{ data.yth or recipient or 'Pimpinan' }}</td></tr>"
            "<tr><td>Dari</td><td>: {{ signer.position or signer.name }}</td></tr>"
            "{% if data.tembusan %}<tr><td>Tembusan</td><td>: {{ data.tembusan }}</td></tr>{% endif %}"
            "<tr><td>Tanggal</td><td>: {{ date }}</td></tr>"
            "<tr><td>Sifat</td><td>: Rahasia</td></tr>"
            "<tr><td>Lampiran</td><td>: —</td></tr>"
            "<tr><td>Hal</td><td>: Laporan {{ service }} a.n. {{ person or '—' }} (kasus #{{ case_id }})</td></tr>"
            "</table>\n<hr>\n"
            "<p>Bersama ini kami laporkan penanganan {{ person or '—' }} sebagaimana tercatat dalam sistem "
            "(isinya yang rahasia dapat dibaca penerima yang berhak pada halaman kasus).</p>\n"
            "{% if data.appointment_at %}<p>Yang bersangkutan dijadwalkan menjalani pemeriksaan pada "
            "{{ data.waktu.appointment_at or data.appointment_at }} di {{ data.appointment_place or '—' }} ({{ data.external_party or '—' }}), "
            "didampingi {{ assignee or 'staf' }}.</p>\n{% endif %}"
            "<p>Demikian kami sampaikan, mohon arahan dan disposisi Bapak/Ibu.</p>\n"
            "{% if data.rantai_disposisi %}<p><strong>Disposisi:</strong></p><ol>{% for d in data.rantai_disposisi %}"
            "<li>{{ d.tanggal }} — {{ d.dari }} kepada {{ d.kepada }}: {{ d.isi|join(', ') }}"
            "{% if d.catatan %} ({{ d.catatan }}){% endif %}</li>{% endfor %}</ol>{% endif %}", signed_by_actor=True,
            internal=True),
    DocType("lembar_disposisi", "Lembar Disposisi", "DISP-{seq:03d}/{unit}/{year}",
            "{% set nd = data.nota_dinas %}{% set d = data.disposisi_ini %}"
            "<table class=\"fields\" style=\"width:100%;border:1px solid #000\">"
            "<tr><td>Surat dari</td><td>: {{ nd.dari if nd else '—' }}</td></tr>"
            "<tr><td>Nomor surat</td><td>: {{ nd.nomor if nd else '—' }}</td></tr>"
            "<tr><td>Tanggal surat</td><td>: {{ nd.tanggal if nd else '—' }}</td></tr>"
            "<tr><td>Diterima tanggal</td><td>: {{ date }}</td></tr>"
            "<tr><td>Sifat</td><td>: Rahasia</td></tr>"
            "<tr><td>Perihal</td><td>: {{ service }} a.n. {{ person or '—' }} (kasus #{{ case_id }})</td></tr></table>\n"
            "<table style=\"width:100%;border-collapse:collapse;margin-top:8px\"><tr>"
            "<th style=\"border:1px solid #000;width:40%\">Diteruskan kepada Sdr.</th>"
            "<th style=\"border:1px solid #000\">Dengan hormat harap</th></tr><tr>"
            "<td style=\"border:1px solid #000;vertical-align:top;padding:4px\">"
            "{% if d %}{{ d.kepada }}{% if d.kepada_jabatan != d.kepada %}<br>{{ d.kepada_jabatan }}{% endif %}"
            "{% else %}{{ recipient or '—' }}{% endif %}</td>"
            "<td style=\"border:1px solid #000;padding:4px\">{% for code, label in data.pilihan_disposisi or [] %}"
            "<span style=\"display:inline-block;width:10px;height:10px;border:1px solid #000;text-align:center;"
            "font-size:8pt;line-height:10px\">{{ 'X' if d and code in d.kode else '' }}</span> {{ label }}<br>"
            "{% endfor %}</td></tr></table>\n"
            "<p><strong>Catatan:</strong> {{ d.catatan if d and d.catatan else (data.instruction or '—') }}</p>\n"
            "<p>Batas waktu: {{ d.batas_waktu if d else '—' }}</p>\n"
            "{% if data.rantai_disposisi and data.rantai_disposisi|length > 1 %}<p><strong>Riwayat disposisi:</strong></p><ol>"
            "{% for x in data.rantai_disposisi %}<li>{{ x.tanggal }} — {{ x.dari }} kepada {{ x.kepada }}: "
            "{{ x.isi|join(', ') }}{% if x.selesai %} (ditindaklanjuti {{ x.selesai_oleh }}){% endif %}</li>"
            "{% endfor %}</ol>{% endif %}", signed_by_actor=True, internal=True),
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
