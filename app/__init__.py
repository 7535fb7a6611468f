"""Ruang Konseling: counseling services run as their SOPs describe them."""
from __future__ import annotations

from importlib import import_module

from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request as htmx_request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.config import ROOT, Config
from app.database import ping_idle_connections, restore_durable
from app.converters import IdConverter
from app.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
from app.extensions import htmx as htmx_extension

BLUEPRINTS = ("auth", "admin", "main", "sop", "notifications", "documents", "reports", "booking", "account",
              "workshops", "referrals", "dispositions", "online", "casefiles")


def create_app(config: Config | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, request guards, static files."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config())
    app.url_map.converters["int"] = IdConverter  # ids beyond what a key holds are 404, not a 500

    from app.crypto import check_keys
    from app.database import create_private_sqlite_file

    check_keys(app)
    create_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # JIT compiling a page's query costs tens of milliseconds, more than running it does; so
        # does starting a parallel worker for a page's few index reads (5 ms of a staff member's
        # case list among 100,000 cases): the queries are built to read by index, serially
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("connect_args", {})
        options.setdefault("options", "-c jit=off -c max_parallel_workers_per_gather=0")
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_idle_connections(engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: app.config["APP_TIMEZONE"])
    htmx_extension.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)

    from app.auth import init_app as init_auth  # models are registered for migrations
    from app.booking import models as _booking  # noqa: F401
    from app.documents import models as _documents  # noqa: F401
    from app.notifications import models as _notifications  # noqa: F401
    from app.sop import models as _sop  # noqa: F401
    from app.workshops import models as _workshops  # noqa: F401
    from app.referrals import models as _referrals  # noqa: F401
    from app.dispositions import models as _dispositions  # noqa: F401
    from app.online import models as _online  # noqa: F401
    from app.casefiles import models as _casefiles  # noqa: F401
    from jobs import models as _jobs  # noqa: F401

    init_auth(app)

    for name in BLUEPRINTS:
        app.register_blueprint(import_module(f"app.{name}").bp)

    from app import errors_web

    errors_web.register(app)
    from app.logs import init_logs

    init_logs(app)
    _register_request_hooks(app)
    _register_template_helpers(app)

    from app import cli

    cli.register(app)

    from app.metrics import init_metrics
    from app.static_files import init_static

    init_metrics(app)
    init_static(app)
    return app


def _select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes():
        """No text field or path part may carry a NUL byte (PostgreSQL cannot hold one); refuse it early."""
        if request.method == "GET" and not request.query_string and "%00" not in request.environ.get("RAW_URI", "%00"):
            return None  # nothing to look at (the path is looked at when the server gives it raw)
        path_parts = [[v] for v in (request.view_args or {}).values() if isinstance(v, str)]
        for values in (request.args.listvalues(), request.form.listvalues(), path_parts):
            if any("\x00" in v for vs in values for v in vs):
                from app.errors_web import error_page

                return error_page(400, _("Masukan berisi karakter yang tidak diizinkan (NUL)."))
        return None

    @app.before_request
    def _require_login():
        """Login is required everywhere but on views marked public and static files."""
        view = app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "is_public", False) or current_user.is_authenticated:
            return None
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))

    @app.after_request
    def _finish(response):
        """One commit per request: kept on success, rolled back on any 4xx/5xx answer. A request
        that only read ends its transaction with COMMIT as well (_end_reading), the objects it
        loaded left as they are."""
        if not db.session.registry.has():
            pass  # the request never touched the database
        elif response.status_code >= 400 or g.get("rollback"):
            db.session.rollback()
            restore_durable(db.session)
        elif _has_writes(db.session):
            db.session.commit()
        elif db.session().in_transaction():
            _end_reading(db.session())
        if htmx_request.htmx and response.status_code in (301, 302, 303, 307, 308):
            location = response.headers["Location"]
            response = app.response_class(status=200)
            response.headers["HX-Redirect"] = location
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        stored = "no-store" in response.headers.get("Cache-Control", "")
        if (session.accessed or _personal_download(response)) and not stored:  # a session's page (its
            response.headers["Cache-Control"] = "private, no-store"  # CSRF token, its user) or a file
        return response

    @app.teardown_request
    def _teardown(exc):
        if exc is not None:
            db.session.rollback()


def _mark_write(session) -> None:
    session.info["writes"] = True


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    _mark_write(session)


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if not state.is_select:  # UPDATE/INSERT/DELETE statements and raw SQL count as writes
        _mark_write(state.session)


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session, transaction):
    if transaction.parent is None:  # the whole transaction; a savepoint's end leaves earlier writes
        session.info.pop("writes", None)


def _end_reading(session) -> None:
    """End a transaction that wrote nothing with COMMIT, what was loaded kept as it is. It ends as
    a ROLLBACK would, but the driver keeps its prepared statements (psycopg forgets them on every
    ROLLBACK): a page's queries are then planned once per connection, not on every request."""
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _has_writes(session) -> bool:
    """Whether the session's transaction wrote, or holds changes not flushed yet."""
    return bool(session.info.get("writes") or session.new or session.dirty or session.deleted)


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
)

DOWNLOAD_TYPES = ("application/pdf", "application/vnd.", "application/zip", "application/octet-stream",
                  "text/calendar", "text/csv")


def _personal_download(response) -> bool:
    """Files (letters, spreadsheets, calendars, any attachment) carry personal data: never cached."""
    return ((response.mimetype or "").startswith(DOWNLOAD_TYPES)
            or response.headers.get("Content-Disposition", "").startswith("attachment"))


def _register_template_helpers(app: Flask) -> None:
    from app.auth.roles import role_label
    from app.main.nav import navigation

    from app.filters import register_filters

    register_filters(app)  # dates, times, yes/no: one reading for every template
    app.jinja_env.filters["role_label"] = role_label

    @app.context_processor
    def _globals():
        return {
            "navigation": navigation,
            "current_locale": _select_locale(),
            "languages": app.config["LANGUAGES"],
        }
