"""Absolute links for what leaves the app — e-mails, invitations, calendar feeds, letter QR codes:
one helper, always on APP_BASE_URL (never on the Host header a request happened to carry, which a
client chooses), built the same way in a request, a scheduler job or a command."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """`url_for(endpoint, **values)` as an absolute URL under APP_BASE_URL, its path included
    (`https://kampus.ac.id/konseling` + `/verify/AB12` -> `https://kampus.ac.id/konseling/verify/AB12`)."""
    base = urlsplit(current_app.config["APP_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
