"""Friendly error pages (403, 404, 429, 500, CSRF), as full pages or htmx fragments."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.htmx import render

MESSAGES = {
    400: lambda: (_("Permintaan tidak valid"), _("Permintaan tidak dapat diproses. Muat ulang halaman lalu coba lagi.")),
    403: lambda: (_("Akses ditolak"), _("Anda tidak memiliki izin untuk membuka halaman ini.")),
    404: lambda: (_("Halaman tidak ditemukan"), _("Halaman yang Anda cari tidak ada atau sudah dipindahkan.")),
    405: lambda: (_("Metode tidak diizinkan"), _("Alamat ini tidak menerima permintaan seperti itu.")),
    429: lambda: (_("Terlalu banyak permintaan"), _("Terlalu banyak percobaan. Tunggu beberapa menit lalu coba lagi.")),
    500: lambda: (_("Terjadi kesalahan"), _("Maaf, terjadi kesalahan di server. Tim kami sudah dicatat; silakan coba lagi.")),
}


def error_page(status: int, message: str | None = None):
    title, default = MESSAGES[status]()
    return render("errors/error.html", block="content", status=status,
                  title=title, message=message or default, code=status)


def register(app) -> None:
    for status in MESSAGES:
        if status == 429:
            continue  # the login view answers its own rate limit
        app.register_error_handler(status, lambda e, s=status: error_page(s))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return error_page(400, _("Sesi formulir sudah kedaluwarsa atau tidak sah (CSRF). Muat ulang halaman lalu kirim lagi."))

    @app.errorhandler(429)
    def _too_many(e):
        if request.endpoint == "auth.login":
            from app.auth.routes import login_page_after_limit

            return login_page_after_limit()
        return error_page(429)
