"""Pages every visitor sees alike (the login form): rendered once per process, language and
template, with this session's CSRF token put in on each request. Rendering the login page's
template costs several times what the rest of its request does, and it is the page an
anonymous flood asks for.

Only a plain GET without a query string, from a visitor not signed in, with no message
waiting to be shown, is served from the kept page; anything else renders as usual.
"""
from __future__ import annotations

from typing import Callable

from flask import g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.cache import rendered
from app.htmx import render

# What the templates' csrf_token() gives while the kept page is rendered; no token looks like it.
MARK = "csrf-token-of-this-session"
MAX_KEPT = 64  # mount points a client makes up


def render_public(template: str, context: Callable[[], dict]):
    """`render(template, **context())`, from the page kept for this language when the request
    allows it (see the module's docstring). `context` builds what the page shows, forms
    included (a form takes its CSRF token when it is made)."""
    if not _keepable():
        return render(template, **context())
    # what the page's links and text depend on: where the app is mounted (a proxy or a client's
    # SCRIPT_NAME may say another place: that request gets its own page, never another's)
    key = (template, str(get_locale()), request.headers.get("HX-Request") == "true", request.script_root)
    page = rendered("public_pages", key, lambda: _marked(template, context), bound=MAX_KEPT)
    response = make_response(page.replace(MARK, generate_csrf()))
    response.vary.add("HX-Request")
    return response


def _marked(template: str, context: Callable[[], dict]) -> str:
    """The page with MARK where the session's CSRF token goes."""
    real = g.pop("csrf_token", None)
    g.csrf_token = MARK  # flask_wtf's generate_csrf gives g.csrf_token when it is set
    try:
        return render(template, **context()).get_data(as_text=True)
    finally:
        g.pop("csrf_token", None)
        if real is not None:
            g.csrf_token = real


def _keepable() -> bool:
    return (request.method == "GET" and not request.query_string and not current_user.is_authenticated
            and "_flashes" not in session)
