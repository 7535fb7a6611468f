"""Access guards: login required by default, role checks, and record lookups that 404/403."""
from __future__ import annotations

from functools import wraps

from flask import abort
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
