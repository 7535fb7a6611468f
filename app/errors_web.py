"""Friendly error pages (403, 404, 429, 500, 503, CSRF), as full pages or htmx fragments.

A database that cannot be reached answers 503 with the same page, rendered without touching the
database: the request continues as an anonymous visitor (no user lookup, no navigation), in the
language of the session or the default one.
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from app.extensions import db, login_manager
from app.errors import DomainError
from app.htmx import render

MESSAGES = {
    400: lambda: (_("Permintaan tidak valid"), _("Permintaan tidak dapat diproses. Muat ulang halaman lalu coba lagi.")),
    403: lambda: (_("Akses ditolak"), _("Anda tidak memiliki izin untuk membuka halaman ini.")),
    404: lambda: (_("Halaman tidak ditemukan"), _("Halaman yang Anda cari tidak ada atau sudah dipindahkan.")),
    405: lambda: (_("Metode tidak diizinkan"), _("Alamat ini tidak menerima permintaan seperti itu.")),
    413: lambda: (_("Berkas terlalu besar"), _("Kiriman ini melebihi ukuran yang diterima; tidak ada yang disimpan. Perkecil berkasnya lalu coba lagi.")),
    422: lambda: (_("Permintaan ditolak"), _("Permintaan ini tidak dapat dijalankan; tidak ada yang diubah.")),
    429: lambda: (_("Terlalu banyak permintaan"), _("Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi.")),
    500: lambda: (_("Terjadi kesalahan"), _("Maaf, terjadi kesalahan di server. Tim kami sudah dicatat; silakan coba lagi.")),
    503: lambda: (_("Layanan sedang tidak tersedia"),
                  _("Basis data sedang tidak dapat dihubungi. Tidak ada yang disimpan; silakan coba lagi beberapa saat lagi.")),
}
DATABASE_DOWN = (OperationalError, InterfaceError)


def error_page(status: int, message: str | None = None):
    title, default = MESSAGES[status]()
    return render("errors/error.html", block="content", status=status,
                  title=title, message=message or default, code=status)


def database_unavailable(exc: Exception):
    """503 without the database: drop what the request began and continue as anonymous."""
    current_app.logger.error("database unreachable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    login_manager._update_request_context_with_user()  # anonymous: no user lookup while rendering
    try:
        db.session.rollback()
    except SQLAlchemyError:  # a connection that died mid-transaction is discarded with the session
        pass
    response = error_page(503)
    response.headers["Retry-After"] = "30"
    return response


def register(app) -> None:
    for status in MESSAGES:
        if status in (422, 429, 500):
            continue  # the login view answers its own rate limit; 500 below
        app.register_error_handler(status, lambda e, s=status: error_page(s))

    for exception in DATABASE_DOWN:
        app.register_error_handler(exception, database_unavailable)

    @app.errorhandler(500)
    def _server_error(e):
        """Also reached by a database failure outside the view (e.g. in the request's commit)."""
        if isinstance(getattr(e, "original_exception", None), DATABASE_DOWN):
            return database_unavailable(e.original_exception)
        return error_page(500)

    @app.errorhandler(DomainError)
    def _refused(e):
        """A rule refused what a route did not catch by its form: a 422 with the sentence, never a 500.
        Routes with a form show the message next to it (app/forms.py `refuse`)."""
        return error_page(422, e.message)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return error_page(400, _("Sesi formulir sudah kedaluwarsa atau tidak sah (CSRF). Muat ulang halaman lalu kirim lagi."))

    @app.errorhandler(429)
    def _too_many(e):
        if request.endpoint == "auth.login":
            from app.auth.routes import login_page_after_limit

            return login_page_after_limit()
        return error_page(429)
