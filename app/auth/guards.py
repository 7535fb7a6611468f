"""Access guards: login required by default, role checks, and record lookups that 404/403."""
from __future__ import annotations

from functools import wraps

from urllib.parse import urlsplit

from flask import abort, url_for
from flask_login import current_user

from app.extensions import db

def public(view):
    """Mark a view as reachable without logging in (the default is login required)."""
    view.is_public = True
    return view


def role_required(*roles: str):
    """Allow the view only to users holding one of `roles` (admins are not implied)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = roles
        return wrapped

    return decorator


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def safe_next(target: str | None) -> str:
    """A `next` address that stays on this site (a path, no scheme, host or control character),
    else the home page."""
    if target and target.startswith("/") and not target.startswith("//") and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")
