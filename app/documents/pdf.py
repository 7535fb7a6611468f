"""The one way HTML becomes a PDF: WeasyPrint with a fetcher that reads nothing but `data:` URIs
and the app's own files under `app/static`. Admin-edited letter bodies and uploaded logos may
name any URL (`file:///…`, `http://…`, `<a rel="attachment">`, CSS `@import`/`url()`, an SVG's
`<image>`); every fetch passes here, so a refused URL is neither read nor requested, and the
caller learns which ones were refused."""
from __future__ import annotations

import mimetypes
import multiprocessing
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from flask_babel import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.errors import DomainError

STATIC_ROOT = (Path(__file__).resolve().parent.parent / "static").resolve()


def static_asset(url: str) -> Path | None:
    """The file a `file:` URL names when it is a file under app/static (after resolving `..` and
    symbolic links), else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    try:
        path = Path(url2pathname(parts.path)).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    return path if path.is_relative_to(STATIC_ROOT) and path.is_file() else None


class AssetFetcher(URLFetcher):
    """Answers `data:` URIs (decoded in memory) and app/static files; refuses and records the rest."""

    def __init__(self):
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        path = static_asset(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"refused: {url}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mimetype})


# Layout has no bound of its own (a huge font, deep nesting): a PDF that takes longer than this
# is abandoned, well within gunicorn's 30 s worker timeout.
PDF_SECONDS = 20


def _render(html: str, conn) -> None:
    """In the child process: lay the PDF out and send back (pdf, refused) or the failure's text."""
    try:
        fetcher = AssetFetcher()
        pdf = HTML(string=html, base_url=STATIC_ROOT.as_uri() + "/", url_fetcher=fetcher).write_pdf()
        conn.send(("ok", pdf, fetcher.refused))
    except BaseException as exc:  # RecursionError in the CSS cascade, a broken font, anything
        conn.send(("error", type(exc).__name__, []))
    finally:
        conn.close()


def html_to_pdf(html: str, field: str = "body") -> tuple[bytes, list[str]]:
    """HTML to PDF, fetching only `data:` and app/static: the PDF and the URLs it refused. The
    layout runs in a forked process bounded to PDF_SECONDS, so no template can hold a worker."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_render, args=(html, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(PDF_SECONDS):
            raise DomainError(_("Surat terlalu berat untuk dibuat (lebih dari %(n)d detik); sederhanakan isinya.",
                                n=PDF_SECONDS), field)
        status, result, refused = receiver.recv()
    except EOFError:
        raise DomainError(_("Surat tidak dapat dibuat dari templat ini; sederhanakan isinya."), field) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if status != "ok":
        raise DomainError(_("Surat tidak dapat dibuat dari templat ini (%(error)s); sederhanakan isinya.",
                            error=result), field)
    return result, refused


def render_pdf(html: str, field: str = "body") -> bytes:
    """`html_to_pdf`, with a refused URL as a DomainError naming it (on `field` of the form that
    caused it), so nothing that refers elsewhere is saved or issued."""
    pdf, refused = html_to_pdf(html, field)
    if refused:
        url = refused[0]
        raise DomainError(_("Surat merujuk ke alamat yang tidak diizinkan: %(url)s. Gambar, gaya, dan lampiran "
                            "hanya boleh berupa data: URI atau berkas bawaan aplikasi (app/static).",
                            url=url if len(url) <= 120 else url[:117] + "..."), field)
    return pdf
