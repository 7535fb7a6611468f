"""The door, on a phone: scan a ticket (or type its code or the NIM), tick the list, record
walk-ins, watch the live count. For the edition's committee, the head and staff."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import request as htmx_request

from app.database import utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import refuse
from app.htmx import render
from app.workshops import bp
from app.workshops.access import load_part, load_workshop
from app.workshops.models import Registration, Workshop
from app.workshops.public import applicant_from
from app.workshops.registration_forms import AttendanceForm, CheckInForm, WalkInForm
from app.workshops.registrations import attendee_list, check_in, counts, set_attendance, walk_in

TEMPLATE = "workshops/checkin.html"


def _page(workshop: Workshop, status: int = 200, block: str | None = None, **context):
    """The check-in page; an htmx request gets the block it asked for (the live count, the
    scan answer) without the list's query."""
    target = htmx_request.htmx.target if htmx_request.htmx else None
    if block is None:
        block = "live_count" if target == "live-count" else ("attendees" if target == "attendees" else None)
    query = request.args.get("q", "")[:100]
    if block in (None, "attendees"):
        context.setdefault("attendees", attendee_list(workshop, query))
    context.setdefault("form", CheckInForm())
    context.setdefault("walk_in_form", WalkInForm(require_program=False))
    return render(TEMPLATE, block=block, status=status, workshop=workshop, figures=counts(workshop.id), q=query,
                  attendance_form=AttendanceForm(), now=utcnow(), **context)


@bp.get("/workshops/<int:workshop_id>/checkin")
def checkin_page(workshop_id: int):
    """The door's page: the scan field, the live count and the list to tick."""
    return _page(load_workshop(workshop_id, manage=True))


@bp.post("/workshops/<int:workshop_id>/checkin")
def scan_ticket(workshop_id: int):
    """A ticket scanned or typed: "hadir, 08.12", or "sudah hadir, 08.12" the second time."""
    workshop = load_workshop(workshop_id, manage=True)
    form = CheckInForm()
    result = None
    if form.validate_on_submit():
        try:
            result = check_in(workshop, form.code.data, current_user)
        except DomainError as exc:
            refuse(form, exc)
    if result is None:
        return _page(workshop, 422, block="scan", form=form)
    if not htmx_request.htmx:
        flash(result.message, "success" if result.first else "warning")
        return redirect(url_for("workshops.checkin_page", workshop_id=workshop.id), 303)
    return _page(workshop, block="scan", result=result)


@bp.post("/workshops/<int:workshop_id>/attendance/<int:registration_id>")
def mark_attendance(workshop_id: int, registration_id: int):
    """Tick (present=1) or untick (present=0) one attendee on the list."""
    workshop = load_workshop(workshop_id, manage=True)
    registration = load_part(workshop, Registration, registration_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _page(workshop, 422, block="attendees", error=_("Pilihan tidak tersedia."))
    try:
        set_attendance(workshop, registration, form.present.data == "1", current_user)
    except DomainError as exc:
        db.session.rollback()
        return _page(workshop, 422, block="attendees", error=exc.message)
    if not htmx_request.htmx:
        return redirect(url_for("workshops.checkin_page", workshop_id=workshop.id, q=request.args.get("q") or None)
                        + f"#reg-{registration.id}", 303)
    return render(TEMPLATE, block="attendee_row", workshop=workshop, registration=registration,
                  attendance_form=AttendanceForm(), figures=counts(workshop.id))


@bp.post("/workshops/<int:workshop_id>/walk-ins")
def add_walk_in(workshop_id: int):
    """Someone at the door who did not register (or waited): a confirmed seat, marked present."""
    workshop = load_workshop(workshop_id, manage=True)
    form = WalkInForm(require_program=False)
    if form.validate_on_submit():
        try:
            registration = walk_in(workshop, applicant_from(form), current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("%(name)s dicatat sebagai peserta langsung dan hadir.", name=registration.name), "success")
            return redirect(url_for("workshops.checkin_page", workshop_id=workshop.id), 303)
    return _page(workshop, 422, walk_in_form=form, open_walk_in=True)
