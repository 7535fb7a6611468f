"""Public pages of a workshop edition, no account needed: the registration form (phone-first),
the personal ticket with its QR code, and its cancellation."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from app.auth.accounts import normalise_whatsapp
from app.auth.guards import get_or_404, public
from app.errors import DomainError
from app.extensions import limiter
from app.forms import refuse
from app.htmx import render
from app.workshops import bp
from app.workshops.models import RegistrationStatus, Workshop
from app.workshops.registration_forms import CancelForm, RegistrationForm
from app.workshops.registrations import Applicant, cancel, counts, find_ticket, register as register_student
from app.workshops.registrations import waiting_position
from app.workshops.tickets import qr_data_uri


def applicant_from(form) -> Applicant:
    """What the form carries, as the services read it."""
    return Applicant(nim=form.nim.data, name=form.name.data, program_code=form.prodi.data or None,
                     semester=int(form.semester.data) if form.semester.data else None, email=form.email.data,
                     whatsapp=normalise_whatsapp(form.whatsapp.data))


def _nim_key() -> str:
    return "workshop-register-nim:" + request.form.get("nim", "").strip().upper()[:20]


@bp.route("/workshops/<int:workshop_id>/register", methods=["GET", "POST"])
@public
# Per address: a campus Wi-Fi puts a whole class behind one address, so generous; per NIM: tight.
@limiter.limit("60 per minute", methods=["POST"])
@limiter.limit("10 per hour", methods=["POST"], key_func=_nim_key)
def register(workshop_id: int):
    """A student registers for the workshop: a seat while there is one, else the waiting list.
    Refused (not eligible, closed, NIM already registered): 422 with the reason, values kept."""
    workshop = get_or_404(Workshop, workshop_id)
    form = RegistrationForm()
    if request.method == "GET" and request.args.get("prodi"):
        code = request.args["prodi"].strip().upper()[:20]
        if code in form.program_codes():
            form.prodi.data = code
    if form.validate_on_submit():
        try:
            registration = register_student(workshop, applicant_from(form))
        except DomainError as exc:
            refuse(form, exc)
        else:
            if registration.status == RegistrationStatus.CONFIRMED:
                flash(_("Pendaftaran terkonfirmasi. Tiket Anda juga dikirim ke %(email)s.",
                        email=registration.email), "success")
            else:
                flash(_("Kursi sudah penuh: Anda masuk daftar tunggu. Kami mengirim e-mail ke %(email)s bila "
                        "kursi tersedia.", email=registration.email), "info")
            return redirect(url_for("workshops.show_ticket", ticket=registration.ticket), 303)
    figures = counts(workshop.id)
    return render("workshops/register.html", workshop=workshop, form=form, figures=figures,
                  full=figures.confirmed >= workshop.capacity, status=422 if request.method == "POST" else 200)


def _ticket_or_404(ticket: str):
    registration = find_ticket(ticket)
    if registration is None:
        abort(404)
    return registration


def _ticket_page(registration, form, status: int = 200):
    from app.extensions import db

    workshop = db.session.get(Workshop, registration.workshop_id)
    response = render("workshops/ticket.html", workshop=workshop, registration=registration, form=form,
                      qr=qr_data_uri(registration), position=waiting_position(registration), status=status)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the address is the ticket
    return response


@bp.get("/workshops/tickets/<ticket>")
@public
def show_ticket(ticket: str):
    """The personal ticket: QR code, status (seat or waiting-list position), cancel button."""
    return _ticket_page(_ticket_or_404(ticket), CancelForm())


@bp.post("/workshops/tickets/<ticket>/cancel")
@public
@limiter.limit("30 per minute")
def cancel_ticket(ticket: str):
    """Give the seat (or the waiting place) up; the first on the waiting list moves up."""
    registration = _ticket_or_404(ticket)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancel(registration)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Pendaftaran Anda dibatalkan. Terima kasih sudah memberi tahu."), "success")
            return redirect(url_for("workshops.show_ticket", ticket=registration.ticket), 303)
    return _ticket_page(_ticket_or_404(ticket), form, 422)
