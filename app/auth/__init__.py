"""Accounts, roles, login and logout, and the guards every other domain uses."""
from flask import Blueprint, request
from flask.sessions import SecureCookieSessionInterface

bp = Blueprint("auth", __name__)


def init_app(app) -> None:
    """Trust the configured number of reverse proxies for the client's address and scheme, and
    load the signed-in user from the session's "id:version" (a raised version ends a session)."""
    from sqlalchemy import Integer, bindparam
    from sqlalchemy.orm import joinedload
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app.auth import audit as _audit  # noqa: F401  (the model is registered for migrations)
    from app.auth.models import User
    from app.extensions import db, login_manager

    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    # the user with their roles, in one statement built once (every signed-in request runs it)
    by_id = db.select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("id", type_=Integer))

    @login_manager.user_loader
    def _load_user(token: str):
        ident, _, version = token.partition(":")
        if not (ident.isdigit() and version.isdigit() and len(ident) < 19):
            return None
        user = db.session.scalars(by_id, {"id": int(ident)}).unique().one_or_none()
        if user is None or not user.active or str(user.session_version) != version:
            return None
        return user

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    app.session_interface = IdleSessions()


class IdleSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions whose idle time (SESSION_IDLE_MINUTES) a page refreshing itself in
    the background does not restart: a conversation or "Tugas saya" left open on a shared
    computer still ends the session. Such requests say so with `X-Poll` (hx-headers)."""

    def should_set_cookie(self, app, session) -> bool:
        if request.method == "GET" and request.headers.get("X-Poll") and not session.modified:
            return False
        return super().should_set_cookie(app, session)


from app.auth import account_routes, routes  # noqa: E402,F401
