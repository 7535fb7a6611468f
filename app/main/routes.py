"""Home, /healthz and the language switch."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, request, session
from flask_login import current_user
from sqlalchemy import literal_column, select

from app.auth.guards import public, safe_next
from app.extensions import db
from app.htmx import render
from app.main import bp


@bp.get("/")
def index():
    """The signed-in user's start page: the services they may ask for, what waits for them, their
    next appointments, and for staff the requests they record and the screens they manage."""
    from app.booking.services import upcoming_appointments
    from app.database import utcnow
    from app.org.services import units_of
    from app.sop.offerings import running_requests, services_for
    from app.sop.services import task_list

    now = utcnow()
    services = services_for(current_user)
    running = running_requests(current_user, services)
    own = sorted((s for s in services if s.mine),  # running first, then what they ask for themselves
                 key=lambda s: (s.procedure.code not in running, s.opens != "request"))
    news = [(s, run) for s in own if (run := running.get(s.procedure.code)) and run.news_url]
    return render("main/index.html", user=current_user, tasks=task_list(current_user, now, limit=5),
                  upcoming=upcoming_appointments(current_user, now), services=services, own=own, running=running,
                  news=news, units=units_of(current_user), now=now)


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database reachability, for monitoring (INTERFACE.md)."""
    try:
        db.session.execute(select(literal_column("1")))  # a read (raw SQL counts as a write)
        database = "ok"
    except Exception as exc:  # any driver error means the database is not usable
        current_app.logger.warning("healthz: database unreachable: %s", exc)
        db.session.rollback()
        database = "error"
    ok = database == "ok"
    body = {"status": "ok" if ok else "error", "database": database,
            "timezone": current_app.config["APP_TIMEZONE"]}
    return jsonify(body), 200 if ok else 503


@bp.post("/language")
@public
def set_language():
    """Switch the interface language for this session (and the user's profile)."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
    return redirect(safe_next(request.form.get("next")))
