"""The simple letter editor: office staff write text with placeholders and build the number from
parts; what they type prints as typed (no markup, no template code), rendered in the same sandbox
as the advanced HTML editor, which stays available."""
from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.documents.models import Letter, LetterTemplate
from app.documents.services import issue_letter, template_for
from app.extensions import db
from scripts.system_deps import skip_reason
from tests.conftest import db_fingerprint
from tests.test_documents import awaiting, NOW, pdf_text  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(bool(skip_reason("letters")), reason=skip_reason("letters"))

URL = "/admin/letters/surat_rekomendasi"
# The default number as parts: 003 padding; seq / unit / REK / month_roman / year
PARTS = [("seq", "", "/"), ("unit", "", "/"), ("code", "REK", "/"), ("month_roman", "", "/"), ("year", "", "")]


def simple(body: str, parts=PARTS, padding: int = 3, **extra) -> dict:
    """The simple editor's form as a browser posts it (eight part rows, the unused ones empty)."""
    data = {"editor": "simple", "body": body, "padding": str(padding), **extra}
    rows = list(parts) + [("", "", "/")] * (8 - len(parts))
    for i, (kind, value, sep) in enumerate(rows):
        data |= {f"parts-{i}-kind": kind, f"parts-{i}-value": value, f"parts-{i}-sep": sep}
    return data


def preview_of(page: str) -> str:
    return page.split('id="preview"', 1)[1]


def test_the_simple_editor_lists_the_placeholders_of_the_letter_type(login_as):
    client, _ = login_as("admin")
    page = client.get(URL).get_data(as_text=True)
    assert 'name="body"' in page and "Editor lanjutan (HTML)" in page
    # each placeholder with its Indonesian label and the token to type (works without JavaScript)
    for label, token in [("Nama konselor", "{{nama_konselor}}"), ("Nama klien / pemohon", "{{nama_klien}}"),
                         ("Program studi", "{{prodi}}"), ("Tanggal surat", "{{tanggal_surat}}")]:
        assert re.search(rf'data-insert="{re.escape(token)}"[^>]*>{re.escape(label)}</button> <code>'
                         rf'{re.escape(token)}</code>', page), label
    assert "Tanggal sesi" not in page  # a placeholder of another letter type
    assert "js/placeholders.js" in page
    # the live preview: htmx posts the form to the preview endpoint as the admin types
    assert 'hx-post="/admin/letters/surat_rekomendasi/preview"' in page
    assert 'hx-trigger="input changed delay:500ms"' in page
    # the built-in wording starts as text, previewed with sample data and the next number
    assert "{{nama_konselor}}" in page.split('name="body"', 1)[1].split("</textarea>", 1)[0]
    preview = preview_of(page)
    assert "Dra. Endang Lestari, M.Psi." in preview and "001/P2KLLK/REK/" in preview


def test_placeholders_become_the_case_values_on_the_issued_letter(login_as, make_user, awaiting):
    from app.sop.services import complete_step

    case, head = awaiting
    client, _ = login_as("admin")
    text = "Dengan ini {{nama_konselor}} ditugaskan untuk {{nama_klien}} ({{prodi}}).\n\nSalam,\n{{nama_unit}}"
    response = client.submit(URL, simple(text, action="save"))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    row = db.session.get(LetterTemplate, "surat_rekomendasi")
    assert (row.mode, row.body) == ("simple", text)  # stored as typed, shown again as typed
    assert text in unescape(client.get(URL).get_data(as_text=True))
    counselor = make_user("counselor", name="Dra. Endang Lestari")
    complete_step(case, "rekomendasi", head, {"counselor": str(counselor.id)}, now=NOW)
    db.session.commit()
    letter = db.session.scalar(sa.select(Letter).where(Letter.case_id == case.id))
    printed = " ".join(pdf_text(letter.pdf).split())
    assert "Dengan ini Dra. Endang Lestari ditugaskan untuk Budi Santoso (Pendidikan Matematika)." in printed
    assert "P2KLLK" in printed and "{{" not in printed


@pytest.mark.parametrize("typed, shown", [
    ("{{ config.SECRET_KEY }}", "{{ config.SECRET_KEY }}"),
    ("{% for i in range(9) %}x{% endfor %}", "{% for i in range(9) %}x{% endfor %}"),
    ("{# komentar #}", "{# komentar #}"),
    ("{{ ''.__class__.__mro__ }}", "{{ &#39;&#39;.__class__.__mro__ }}"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src="file:///etc/passwd">', "&lt;img src=&#34;file:///etc/passwd&#34;&gt;"),
    ("{% raw %}{{ person.name }}{% endraw %}", "{% raw %}{{ person.name }}{% endraw %}"),
    ("Tom & Jerry {{nama_klien}}", "Tom &amp; Jerry Budi Santoso"),
])
def test_whatever_is_typed_prints_as_typed(login_as, typed, shown):
    client, _ = login_as("admin")
    response = client.submit(f"{URL}/preview", simple(f"Awal {typed} akhir"), headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert page.lstrip().startswith('<section id="preview"')  # only the preview block
    assert f"<p>Awal {shown} akhir</p>" in page
    assert "<script>" not in page and "SECRET" not in page.replace("config.SECRET_KEY", "")


@pytest.mark.parametrize("typed", ["{{nama_klein}}", "{{ config }}", "{{ nama_tidak_ada }}"])
def test_a_placeholder_the_letter_does_not_offer_is_refused_in_the_preview_and_on_save(login_as, typed):
    """A misspelt placeholder would print as typed on every numbered letter: it is named next to
    the text, the text is kept, and nothing is saved."""
    client, _ = login_as("admin")
    for action in ("preview", "save"):
        response = client.submit("/admin/letters/surat_tugas", simple(f"Terima kasih {typed}.", action=action))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "tidak dikenal" in page, page[:1500]
        assert "Terima kasih" in page
    assert template_for("surat_tugas").custom is False


def test_a_saved_simple_template_stays_literal_on_the_letter(login_as, make_user):
    client, _ = login_as("admin")
    body = "Kepada {{kepada}}: {{ config.SECRET_KEY }} {% if true %}ya{% endif %} <b>tebal</b>"
    assert client.submit("/admin/letters/surat_tugas", simple(body, [("seq", "", "/"), ("year", "", "")],
                                                              action="save")).status_code == 302
    head = make_user("head")
    letter = issue_letter("surat_tugas", head, head, extra={"recipient": "<i>Rektor</i>"}, now=NOW)
    text = " ".join(pdf_text(letter.pdf).split())
    assert "Kepada <i>Rektor</i>: {{ config.SECRET_KEY }} {% if true %}ya{% endif %} <b>tebal</b>" in text
    assert letter.number == "001/2026"


def test_paragraphs_and_line_breaks(login_as):
    client, _ = login_as("admin")
    page = client.submit(f"{URL}/preview", simple("Satu\nbaris dua\n\n\nParagraf {{nama_klien}}"),
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<p>Satu<br>\nbaris dua</p>\n<p>Paragraf Budi Santoso</p>" in page


@pytest.mark.parametrize("parts, padding, first, second", [
    (PARTS, 3, "001/P2KLLK/REK/{roman}/{year}", "002/P2KLLK/REK/{roman}/{year}"),
    ([("code", "ND", "-"), ("seq", "", "/"), ("unit", "", "/"), ("year", "", "")], 4, "ND-0001/P2KLLK/{year}",
     "ND-0002/P2KLLK/{year}"),
    ([("seq", "", "."), ("code", "BA-AKHIR", " / "), ("month", "", "-"), ("year", "", "")], 1,
     "1.BA-AKHIR / {month:02d}-{year}", "2.BA-AKHIR / {month:02d}-{year}"),
])
def test_the_number_is_built_from_parts_with_a_preview_of_the_next_one(login_as, make_user, parts, padding, first,
                                                                       second):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.documents.types import ROMAN

    today = datetime.now(ZoneInfo("Asia/Jakarta"))
    first, second = (f.format(roman=ROMAN[today.month - 1], month=today.month, year=today.year)
                     for f in (first, second))
    client, _ = login_as("admin")
    head = make_user("head")
    page = client.submit(f"{URL}/preview", simple("Isi", parts, padding),
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'<strong class="next-number">{first}</strong>' in page
    assert client.submit(URL, simple("Isi", parts, padding, action="save")).status_code == 302
    assert issue_letter("surat_rekomendasi", head, head).number == first
    db.session.commit()
    page = client.get(URL).get_data(as_text=True)  # the builder shows the saved parts again
    assert f'<strong class="next-number">{second}</strong>' in page


@pytest.mark.parametrize("parts, message", [
    ([("unit", "", "/"), ("year", "", "")], "Nomor urut"),
    ([("seq", "", "/"), ("seq", "", "")], "Nomor urut"),
    ([("seq", "", "/"), ("code", "", "")], "Kode surat hanya huruf dan angka"),
    ([("seq", "", "/"), ("code", "R{E}K", "")], "Kode surat hanya huruf dan angka"),
    ([("seq", "", "{"), ("year", "", "")], "Pemisah tidak boleh"),
    ([("seq", "", "/"), ("fakultas", "", "")], "Pilihan tidak tersedia"),
])
def test_bad_number_parts_are_refused_next_to_them(login_as, parts, message):
    client, _ = login_as("admin")
    before = db_fingerprint()
    for path in (URL, f"{URL}/preview"):
        response = client.submit(path, simple("Isi {{nama_klien}}", parts, action="save"))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page, page[:3000]
        assert "Isi {{nama_klien}}</textarea>" in page  # the typed text is kept
    assert db_fingerprint() == before


def test_a_format_the_parts_cannot_show_is_kept_for_the_advanced_editor(login_as):
    client, _ = login_as("admin")
    db.session.add(LetterTemplate(doc_type="surat_rekomendasi", body="<p>{{ person }}</p>",
                                  number_format="{seq:>4}/{year}"))
    db.session.commit()
    page = client.get(URL).get_data(as_text=True)
    assert 'name="number_format"' in page and "{seq:&gt;4}/{year}" in page  # opens the advanced editor
    page = client.get(f"{URL}?editor=simple").get_data(as_text=True)
    assert "tidak dapat disusun dari bagian-bagian" in page and "templat HTML" in page


def test_the_advanced_html_editor_stays_and_stays_sandboxed(login_as):
    client, _ = login_as("admin")
    page = client.get(f"{URL}?editor=html").get_data(as_text=True)
    assert "Isi surat (HTML dan Jinja)" in page and "Editor sederhana" in page
    ok = client.submit(URL, {"editor": "html", "body": "<p><b>{{ person|upper }}</b></p>",
                             "number_format": "{seq:03d}/REK/{year}", "action": "preview"})
    assert ok.status_code == 200 and "<b>BUDI SANTOSO</b>" in ok.get_data(as_text=True)
    refused = client.submit(URL, {"editor": "html", "body": "<p>{{ config.SECRET_KEY }}</p>",
                                  "number_format": "{seq:03d}/REK/{year}", "action": "save"})
    assert refused.status_code == 422 and "Templat surat bermasalah" in refused.get_data(as_text=True)
    assert db.session.get(LetterTemplate, "surat_rekomendasi") is None


def test_a_simple_template_opens_in_the_advanced_editor_as_equivalent_html(login_as):
    client, _ = login_as("admin")
    assert client.submit(URL, simple("Yth. {{kepada}} {{ x.y }} <b>", action="save")).status_code == 302
    page = unescape(client.get(f"{URL}?editor=html").get_data(as_text=True))
    assert "<p>Yth. {{ recipient }} {{ '{' }}{{ '{' }} x.y }} &lt;b&gt;</p>" in page


def test_the_preview_endpoint_without_javascript_renders_the_whole_page(login_as):
    client, _ = login_as("admin")
    page = client.submit(f"{URL}/preview", simple("Halo {{nama_klien}}")).get_data(as_text=True)
    assert "<html" in page and 'name="body"' in page and "<p>Halo Budi Santoso</p>" in page
    assert db.session.get(LetterTemplate, "surat_rekomendasi") is None  # a preview saves nothing
