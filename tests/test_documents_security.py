"""What a letter may fetch and how much a letter template may do.

Letter templates are edited by admins and rendered to PDF on the server: a PDF must fetch
nothing but `data:` URIs and the app's own static files (never a server file, never a host),
and a template must stay within time and size and fail as a form error, never a 500."""
from __future__ import annotations

import base64
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.errors import DomainError
from app.documents.models import Letter, LetterCounter, LetterTemplate
from app.documents.pdf import STATIC_ROOT, html_to_pdf
from app.extensions import db
from tests.conftest import db_fingerprint
from tests.test_documents import assigned, awaiting, pdf_text  # noqa: F401 (fixtures)

MARKER = "RAHASIA-SERVER-7f3a"


class Recorder(BaseHTTPRequestHandler):
    """Answers anything with a stylesheet that would print the marker; records every request."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        body = f'body::after {{ content: "{MARKER}-HTTP" }}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    """A real HTTP server on a loopback port that records whether it was hit."""
    handler = type("Handler", (Recorder,), {"hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.hits = handler.hits
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_files(tmp_path):
    """Server files a template must never read: a secret and a stylesheet that would print it."""
    secret = tmp_path / "secret_key"
    secret.write_text(MARKER + "-FILE")
    css = tmp_path / "steal.css"
    css.write_text(f'body::after {{ content: "{MARKER}-CSS" }}')
    return secret, css


def attack_vectors(secret, css, http):
    return {
        "attachment": f'<a rel="attachment" href="{secret.as_uri()}">lampiran</a>',
        "img": f'<img src="{secret.as_uri()}">',
        "css-import": f'<style>@import url("{css.as_uri()}");</style>',
        "css-url": f'<div style="background: url({secret.as_uri()})">x</div>',
        "link": f'<link rel="stylesheet" href="{css.as_uri()}">',
        "traversal": '<style>@import url("img/../../config.py");</style>',
        "passwd": '<a rel="attachment" href="file:///etc/passwd">a</a>',
        "http-import": f'<style>@import url("{http}/steal.css");</style>',
        "http-img": f'<img src="{http}/pixel.png">',
        "http-url": f'<p style="background-image: url(\'{http}/bg.png\')">x</p>',
        "http-attachment": f'<a rel="attachment" href="{http}/doc.txt">a</a>',
        "svg-image": '<img src="data:image/svg+xml;base64,' + base64.b64encode(
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
            f'height="10"><image xlink:href="{http}/inner.png" width="10" height="10"/></svg>'.encode()).decode() + '">',
    }


def embedded_files(reader: PdfReader) -> list[bytes]:
    """Every file the PDF carries: document attachments and file-attachment annotations (what
    WeasyPrint makes of `<a rel="attachment">`)."""
    files = [data for contents in reader.attachments.values() for data in contents]
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/FileAttachment":
                files.append(annotation["/FS"].get_object()["/EF"]["/F"].get_object().get_data())
    return files


VECTORS = ["attachment", "img", "css-import", "css-url", "link", "traversal", "passwd", "http-import", "http-img",
           "http-url", "http-attachment", "svg-image"]


@pytest.mark.parametrize("vector", VECTORS)
def test_a_pdf_fetches_no_server_file_and_no_host(app, secret_files, http_server, vector):
    html = attack_vectors(*secret_files, http_server.url)[vector]
    pdf, refused = html_to_pdf(f"<html><body><p>Isi surat</p>{html}</body></html>")
    reader = PdfReader(BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Isi surat" in text and MARKER not in text and "root:" not in text
    assert embedded_files(reader) == []
    assert http_server.hits == []
    assert len(refused) == 1


def test_the_apps_own_assets_and_data_uris_still_render(app):
    attachment = base64.b64encode(b"lampiran data").decode()
    pdf, refused = html_to_pdf(
        '<img src="img/logo.svg"><img src="' + (STATIC_ROOT / "img" / "logo.svg").as_uri() + '">'
        f'<a rel="attachment" href="data:text/plain;base64,{attachment}">lampiran</a><p>Isi</p>')
    assert refused == []
    assert embedded_files(PdfReader(BytesIO(pdf))) == [b"lampiran data"]


@pytest.mark.parametrize("action", ["save", "preview"])
@pytest.mark.parametrize("vector", ["attachment", "css-import", "http-img", "traversal", "svg-image"])
def test_a_template_that_fetches_is_refused_with_the_url(login_as, secret_files, http_server, vector, action):
    client, _ = login_as("admin")
    html = attack_vectors(*secret_files, http_server.url)[vector]
    before = db_fingerprint()
    response = client.submit("/admin/letters/surat_tugas", {"body": f"<p>{{{{ person }}}}</p>{html}",
                                                            "number_format": "{seq:03d}/ST/{year}", "action": action})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "alamat yang tidak diizinkan" in page and "data:" in page and "app/static" in page
    url = html.split('href="')[-1].split('src="')[-1].split('url("')[-1].split('"')[0].split("'")[0]
    if vector != "svg-image":
        assert url in page
    assert MARKER not in page and http_server.hits == [] and db_fingerprint() == before


def test_a_stored_template_that_fetches_issues_nothing(awaiting, app, secret_files, http_server):
    """A template saved before this check (or written into the database) cannot leak either: the
    letter is not issued, the confirmation page says why, and no number is used up."""
    case, head = awaiting
    db.session.add(LetterTemplate(doc_type="surat_rekomendasi", number_format="{seq:03d}/REK/{year}",
                                  body=f'<a rel="attachment" href="{secret_files[0].as_uri()}">x</a>'))
    db.session.commit()
    last = db.session.scalar(sa.select(LetterCounter.last_seq))
    letters = db.session.scalar(sa.select(sa.func.count(Letter.id)))
    client = app.test_client()
    client.submit("/login", {"email": head.email, "password": "rahasia123"})
    response = client.submit(f"/cases/{case.id}/letters/surat_rekomendasi", {"confirm": "yes"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Surat belum diterbitkan" in page and secret_files[0].as_uri() in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(LetterCounter.last_seq)) == last
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == letters


def test_the_saved_templates_pdf_preview_refuses_too(login_as, secret_files):
    client, _ = login_as("admin")
    db.session.add(LetterTemplate(doc_type="surat_tugas", number_format="{seq:03d}/ST/{year}",
                                  body=f'<style>@import url("{secret_files[1].as_uri()}");</style>'))
    db.session.commit()
    response = client.get("/admin/letters/surat_tugas/preview.pdf")
    assert response.status_code == 422 and "alamat yang tidak diizinkan" in response.get_data(as_text=True)
    assert response.mimetype == "text/html"


def test_a_logo_that_fetches_is_refused(login_as, http_server):
    client, _ = login_as("admin")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
           f'height="10"><image xlink:href="{http_server.url}/logo.png" width="10" height="10"/></svg>').encode()
    before = db_fingerprint()
    response = client.submit("/admin/letterhead", {"name": "Universitas Contoh", "unit": "Pusat Karier",
                                                   "unit_code": "PK", "logo": (BytesIO(svg), "logo.svg")},
                             content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f"{http_server.url}/logo.png" in page
    assert http_server.hits == [] and db_fingerprint() == before


# -- bounded templates -------------------------------------------------------------------------
BOUNDED = [
    ("{% include 'base.html' %}", "{% include %} tidak dapat dipakai"),
    ("{% extends 'base.html' %}", "{% extends %} tidak dapat dipakai"),
    ("{% import '_macros.html' as m %}", "{% import %} tidak dapat dipakai"),
    ("{% from '_macros.html' import field %}", "{% from … import %} tidak dapat dipakai"),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "batas 2 detik"),
    ("{% for c in 'x' * 40000 %}{% for d in 'x' * 40000 %}{% endfor %}{% endfor %}", "batas 2 detik"),
    ("{% for i in range(100000) %}{{ 'lorem ipsum ' * 10 }}{% endfor %}", "batas 50.000 karakter"),
    ("{{ 'x' * 10**9 }}", "batas 50.000 karakter"),
    ("{{ [0] * 10**9 }}", "batas 50.000 karakter"),
    ("{{ 7 ** 999999 }}", "bilangan yang dihitung terlalu besar"),
    ("{% set ns = namespace(n=3) %}{% for i in range(64) %}{% set ns.n = ns.n * ns.n %}{% endfor %}",
     "bilangan yang dihitung terlalu besar"),
    ("{{ 'x'|center(10**9) }}", "batas 50.000 karakter"),
    ("{{ '%999999999s' % 'x' }}", "batas 50.000 karakter"),
    ("{{ '%*s'|format(10**9, 'x') }}", "batas 50.000 karakter"),
    ("{% set s = 'x' * 10000 %}{{ s|replace('x', s) }}", "batas 50.000 karakter"),
    ("{% set s = 'x' * 10000 %}{{ ([s] * 1000)|join }}", "batas 50.000 karakter"),
    ("{% macro m() %}{% for i in range(100000) %}{{ person * 50 }}{% endfor %}{% endmacro %}{% set x = m() %}",
     "batas 50.000 karakter"),
    ("{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f('x') }}", "batas 50.000 karakter"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}", "rekursi"),
    ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
     "batas 50.000 karakter"),
    ("{{ '{:>999999999}'.format('x') }}", "format"),
    ("{{ lipsum(100000) }}", "lipsum"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ("{{ person + 1 }}", "TypeError"),
]


@pytest.mark.parametrize("action", ["preview", "save"])
@pytest.mark.parametrize("body, message", BOUNDED)
def test_a_template_is_bounded_and_fails_as_a_form_error(login_as, body, message, action):
    client, _ = login_as("admin")
    before = db_fingerprint()
    started = time.monotonic()
    response = client.submit("/admin/letters/surat_tugas", {"body": body, "number_format": "{seq:03d}/ST/{year}",
                                                            "action": action})
    elapsed = time.monotonic() - started
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:2000]
    assert "Templat surat bermasalah" in page and message in page
    assert elapsed < 10
    assert db_fingerprint() == before


def test_issuing_with_a_broken_template_says_why_next_to_the_form(awaiting, app):
    case, head = awaiting
    db.session.add(LetterTemplate(doc_type="surat_rekomendasi", number_format="{seq:03d}/REK/{year}",
                                  body="{% include 'base.html' %}"))
    db.session.commit()
    last = db.session.scalar(sa.select(LetterCounter.last_seq))
    client = app.test_client()
    client.submit("/login", {"email": head.email, "password": "rahasia123"})
    response = client.submit(f"/cases/{case.id}/letters/surat_rekomendasi", {"confirm": "yes",
                                                                              "recipient": "Kaprodi PMat"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Surat belum diterbitkan" in page and "{% include %} tidak dapat dipakai" in page
    assert 'value="Kaprodi PMat"' in page  # what was typed is kept
    db.session.expire_all()
    assert db.session.scalar(sa.select(LetterCounter.last_seq)) == last


def test_completing_a_step_with_a_broken_letter_template_says_why(app, make_user):
    """The letter a step issues when done renders a looping template: the step form answers with
    the reason, the step stays open, no 500."""
    from app.sop.registry import get_procedure
    from app.sop.services import complete_step, open_case
    from tests.test_documents import KARIER, NOW

    staff, head = make_user("staff"), make_user("head")
    counselor = make_user("counselor")
    case = open_case(get_procedure("pgri-konseling-karier"), make_user("alumni"), dict(KARIER), now=NOW)
    complete_step(case, "izin_tu", staff, {}, now=NOW)
    complete_step(case, "form_permohonan", staff, {"complete": "lengkap"}, now=NOW)
    db.session.add(LetterTemplate(doc_type="surat_rekomendasi", number_format="{seq:03d}/REK/{year}",
                                  body="{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                                       "{% endfor %}"))
    db.session.commit()
    client = app.test_client()
    client.submit("/login", {"email": head.email, "password": "rahasia123"})
    response = client.submit(f"/cases/{case.id}/steps/rekomendasi", {"counselor": str(counselor.id)},
                             follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "batas 2 detik" in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Letter.id))) == 0


def test_an_ordinary_template_still_renders_everything_it_uses(login_as):
    """Loops, macros, conditions and the usual filters keep working inside the limits."""
    client, _ = login_as("admin")
    body = ("{% macro row(label, value) %}<tr><td>{{ label }}</td><td>: {{ value|default('—', true) }}</td></tr>"
            "{% endmacro %}<table>{{ row('Nama', person|upper) }}{{ row('Prodi', data.prodi) }}</table>"
            "{% set ns = namespace(total=0) %}<ol>{% for line in data.committee.splitlines() %}"
            "{% set ns.total = ns.total + 1 %}<li>{{ line|replace('1. ', '')|trim }}</li>{% endfor %}</ol>"
            "<p>{{ ns.total }} panitia; {{ [year, 'ST']|join('/') }}; {{ '%03d'|format(7) }}; {{ 2 ** 10 }};"
            " {{ 'ab' ~ 'cd' * 2 }}; {% for i in range(3) %}{{ loop.index }}{% endfor %}</p>")
    response = client.submit("/admin/letters/surat_tugas", {"body": body, "number_format": "{seq:03d}/ST/{year}",
                                                            "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:3000]
    for expected in ["BUDI SANTOSO", "Pendidikan Matematika", "<li>Agus Prasetyo (koordinator alumni)</li>",
                     "2 panitia; 2026/ST; 007; 1024; abcdcd; 123"]:
        assert expected in page, expected


def test_a_letter_whose_layout_never_ends_is_abandoned_with_a_message(app, monkeypatch):
    """Layout has no bound of its own (a huge font on thousands of words, deep nesting): the PDF is
    made in a child process and abandoned after PDF_SECONDS, a form error instead of a held worker."""
    import time

    from app.documents import pdf

    monkeypatch.setattr(pdf, "PDF_SECONDS", 1)
    started = time.monotonic()
    with pytest.raises(DomainError, match="terlalu berat"):
        pdf.render_pdf('<p style="font-size:2000px">' + "x " * 6000 + "</p>")
    assert time.monotonic() - started < 10
    monkeypatch.setattr(pdf, "PDF_SECONDS", 20)
    with pytest.raises(DomainError, match="tidak dapat dibuat"):
        pdf.render_pdf("<div>" * 3000 + "x")
