"""Booking pages: the client's week of free slots, appointments (invite, reschedule, cancel,
session held or no-show) and the public calendar feed. The counselor's settings: settings_routes.py."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import get_or_404, public
from app.booking import bp
from app.booking.forms import BookForm, ChangeForm, NoShowForm, ProposalForm, WaitlistForm
from app.booking.ical import feed, invite, summary
from app.booking.models import Appointment, AppointmentStatus, CounselorProfile, Mode
from app.booking.services import (COUNSELOR, accept, appointments_for_case, appointments_of, book, books_sessions,
                                  cancel, free_slots, join_waitlist, mark_no_show, propose, record_session,
                                  reschedule, served_by, slot_form)
from app.booking.steps import requested_mode
from app.booking.words import session_time
from app.database import utcnow
from app.errors import DomainError
from app.forms import parse_date, parse_datetime, refuse
from app.extensions import db
from app.htmx import render
from app.sop.models import Case, CaseState
from app.sop.access import is_participant, load_case, on_team
from app.urls import external_url


def _tz():
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


# -- client and counselor on a case ---------------------------------------------------------
def _booking_case(case_id: int) -> Case:
    """A case's booking page is for its client and its counselor (the case team), where its
    service books sessions (not a workshop's committee case, nor a therapy referral's)."""
    case = load_case(case_id, is_participant)
    if not books_sessions(case):
        abort(404)
    return case


def _week_start(value: str | None) -> date:
    """The Monday of `?week=`; a week the app cannot show is this week, with the reason flashed."""
    day = utcnow().astimezone(_tz()).date()
    if value:
        try:
            day = parse_date(value)
        except DomainError as exc:
            flash(exc.message, "error")
    return day - timedelta(days=day.weekday())


def _mode_choice(case: Case) -> tuple[str, Mode | None]:
    """`?mode=`: the slots shown, by default those of the form of service the client asked for;
    `semua` shows every slot (the client switches)."""
    chosen = request.args.get("mode", "")
    if chosen == "semua":
        return chosen, None
    if chosen in {m.value for m in Mode}:
        return chosen, Mode(chosen)
    mode = requested_mode(case)
    return (mode.value if mode else "semua"), mode


LOOK_AHEAD = 4  # weeks the booking page looks through for the first slot of the form asked for


def _case_page(case: Case, status: int = 200, start: datetime | None = None, **forms):
    """The booking page of a case, week by week (htmx swaps the week); with `start` the slot the
    client chose, to confirm; a refused form comes back with its message and what was typed."""
    week = _week_start(request.args.get("week") or (start.date().isoformat() if start else None))
    mode_value, mode = _mode_choice(case)
    # whose slots: none once the case is closed; one who no longer serves it is refused on booking
    # (services._serving)
    counselor = case.assignee if case.state == CaseState.OPEN else None
    opening = not (request.args.get("week") or start)  # the page as it opens, no week chosen
    slots = free_slots(counselor, week, 7 * (LOOK_AHEAD if opening else 1), mode=mode) if counselor else []
    ahead = opening and slots and slots[0].start.date() >= week + timedelta(days=7)
    if ahead:  # it opens on the first week holding the form of service shown
        week = slots[0].start.date() - timedelta(days=slots[0].start.weekday())
    slots = [s for s in slots if s.start.date() < week + timedelta(days=7)]
    if not slots and mode is not None and not request.args.get("mode") and counselor:
        # none of the form asked for this week: the others (said so), not a week of "tidak ada"
        slots, mode_value = free_slots(counselor, week, 7), "semua"
    days = [week + timedelta(days=i) for i in range(7)]
    by_day = {d: [s for s in slots if s.start.date() == d] for d in days}
    appointments = appointments_for_case(case)
    agreed = next((a for a in appointments if a.status == "agreed"), None)
    is_client = current_user.id == case.subject_id
    bookable = is_client and agreed is None and counselor is not None
    chosen = None
    if start is not None and counselor:
        chosen = next((s for s in free_slots(counselor, start.date(), 1) if s.start == start), None)
    book_form = forms.get("book_form") or BookForm(formdata=None, data={"start": start.isoformat() if start else ""})
    if start is not None and bookable and chosen is None and not book_form.errors:
        book_form.start.errors = [_("Slot ini tidak lagi tersedia. Silakan pilih waktu lain.")]
    return render("booking/case.html", block="slots", case=case, week=week, days=days, by_day=by_day,
                  appointments=appointments, agreed=agreed, bookable=bookable,
                  proposals=[a for a in appointments if a.status == "proposed"],
                  history=[a for a in appointments if a.status not in ("agreed", "proposed")],
                  is_client=is_client, mode=mode_value, requested=requested_mode(case), ahead=ahead,
                  modes=[m.value for m in Mode], start=start, chosen=chosen, book_form=book_form,
                  proposal_form=forms.get("proposal_form") or ProposalForm(formdata=None),
                  waitlist_form=forms.get("waitlist_form") or WaitlistForm(formdata=None),
                  prev_week=week - timedelta(days=7), next_week=week + timedelta(days=7), now=utcnow(), status=status)


def _start_arg() -> datetime | None:
    """`?start=`: the slot chosen to confirm (an unreadable one is flashed and ignored)."""
    if not request.args.get("start"):
        return None
    try:
        return _parse_start(request.args["start"])
    except DomainError as exc:
        flash(exc.message, "error")
        return None


@bp.get("/cases/<int:case_id>/booking")
def case_booking(case_id: int):
    """Week by week, the counselor's free slots of the requested form of service (htmx swaps the
    week); a chosen slot (`?start=`) to confirm before it is booked; proposals, the agreed
    appointment and the earlier ones."""
    case = _booking_case(case_id)
    return _case_page(case, start=_start_arg() if current_user.id == case.subject_id else None)


def _parse_start(value: str) -> datetime:
    moment = parse_datetime(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=_tz())).astimezone(_tz())


@bp.post("/cases/<int:case_id>/booking")
def book_slot(case_id: int):
    """The client books the free slot they confirmed; a refusal (the slot was just taken) comes
    back on the page, by the confirmation."""
    case = _booking_case(case_id)
    if current_user.id != case.subject_id:
        abort(403)
    form = BookForm()
    start = None
    if form.validate_on_submit():
        try:
            start = _parse_start(form.start.data)
            appointment = book(case, current_user, start)
        except DomainError as exc:
            refuse(form, DomainError(exc.message, field="start"))
        else:
            flash(_("Jadwal disepakati: %(when)s. Undangan kalender dikirim ke e-mail Anda.",
                    when=session_time(appointment.start_at)), "success")
            return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))
    return _case_page(_booking_case(case_id), 422, start=start, book_form=form)


@bp.post("/cases/<int:case_id>/proposals")
def propose_times(case_id: int):
    """The counselor proposes up to three times."""
    case = _booking_case(case_id)
    if current_user.id != case.assignee_id:
        abort(403)
    form = ProposalForm()
    if form.validate_on_submit():
        starts = [f.data.replace(tzinfo=_tz()) for f in (form.first, form.second, form.third) if f.data]
        try:
            propose(case, current_user, starts, place=form.meeting_url.data or None,
                    code=form.meeting_code.data or None)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Usulan waktu dikirim ke pemohon."), "success")
            return redirect(url_for("booking.case_booking", case_id=case.id))
    return _case_page(_booking_case(case_id), 422, proposal_form=form)


@bp.post("/cases/<int:case_id>/waitlist")
def join_waiting_list(case_id: int):
    """Be told when an earlier slot with this counselor opens."""
    case = _booking_case(case_id)
    if current_user.id != case.subject_id:
        abort(403)
    form = WaitlistForm()
    if form.validate_on_submit():
        try:
            join_waitlist(case, current_user)
        except DomainError as exc:
            refuse(form, exc)
        else:
            flash(_("Anda masuk daftar tunggu; kami kabari bila ada slot lebih awal."), "success")
            return redirect(url_for("booking.case_booking", case_id=case.id))
    return _case_page(_booking_case(case_id), 422, waitlist_form=form)


# -- appointments ---------------------------------------------------------------------------
def _appointment_for(appointment_id: int) -> Appointment:
    """An appointment for its two people and its case's team (its meeting link and the client's
    contact are theirs); others who see the case read its time and place on the case."""
    appointment = get_or_404(Appointment, appointment_id)
    if current_user.id == appointment.client_id:
        return appointment
    if appointment.case_id is None:  # its case is gone (archived): its counselor, while one
        if current_user.id != appointment.counselor_id or not current_user.has_role(COUNSELOR):
            abort(404)
    elif not on_team(current_user, load_case(appointment.case_id)):  # the counselor among them
        abort(404)
    return appointment


@bp.get("/appointments")
def my_appointments():
    """My upcoming and recent appointments (as client or counselor)."""
    items = appointments_of(current_user, utcnow() - timedelta(days=30))
    return render("booking/appointments.html", items=items, now=utcnow())


def google_link(appointment: Appointment) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    params = {"action": "TEMPLATE", "text": summary(appointment),
              "dates": f"{appointment.start_at.strftime(fmt)}/{appointment.end_at.strftime(fmt)}",
              "details": external_url("booking.show_appointment", appointment_id=appointment.id),
              "location": appointment.meeting_url or appointment.location or ""}
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)


@bp.get("/appointments/<int:appointment_id>")
def show_appointment(appointment_id: int):
    """An appointment: time, place or link, calendar links, reschedule and cancel."""
    return _appointment_page(_appointment_for(appointment_id))


def _appointment_page(appointment: Appointment, status: int = 200, **forms):
    """The appointment page; a refused change comes back here with its form, what was typed kept."""
    slots = []
    if appointment.status == "agreed" and current_user.id in (appointment.client_id, appointment.counselor_id):
        week = _week_start(request.args.get("week") or appointment.start_at.astimezone(_tz()).date().isoformat())
        slots = free_slots(appointment.counselor, week, 14, mode=slot_form(appointment.mode))
    blank = ChangeForm(formdata=None)
    return render("booking/appointment.html", a=appointment, google=google_link(appointment), slots=slots,
                  form=blank, reschedule_form=forms.get("reschedule_form", blank),
                  cancel_form=forms.get("cancel_form", blank), action_form=forms.get("action_form", blank),
                  no_show_form=forms.get("no_show_form") or NoShowForm(formdata=None),
                  now=utcnow(), participant=current_user.id in (appointment.client_id, appointment.counselor_id),
                  status=status)


@bp.get("/appointments/<int:appointment_id>.ics")
def appointment_ics(appointment_id: int):
    """The appointment as an .ics file to add to any calendar."""
    appointment = _appointment_for(appointment_id)
    response = make_response(invite(appointment))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="konseling-{appointment.id}.ics"'
    return response


@bp.post("/appointments/<int:appointment_id>/accept")
def accept_proposal(appointment_id: int):
    """The client accepts one of the counselor's proposed times."""
    appointment = _appointment_for(appointment_id)
    form = ChangeForm(formdata=None)
    try:
        accept(appointment, current_user)
    except DomainError as exc:
        refuse(form, exc)
        return _appointment_page(appointment, 422, action_form=form)
    flash(_("Jadwal disepakati. Undangan kalender dikirim ke e-mail Anda."), "success")
    return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))


def _change(appointment_id: int, action, which: str):
    """Reschedule or cancel: on a refusal the page again, the message by the form it came from."""
    appointment = _appointment_for(appointment_id)
    form = ChangeForm()
    if appointment.status.value not in ("agreed", "proposed"):  # its forms are gone from the page
        form.form_errors.append(_("Jadwal ini tidak dapat diubah lagi; tidak ada yang diubah."))
    elif form.validate_on_submit():
        try:
            action(appointment, form)
        except DomainError as exc:
            refuse(form, exc)
        else:
            return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))
    return _appointment_page(appointment, 422, **{which: form})


@bp.post("/appointments/<int:appointment_id>/reschedule")
def reschedule_appointment(appointment_id: int):
    """Move to another free slot, with a reason; both calendars update."""
    def action(appointment, form):
        if not form.start.data:
            raise DomainError(_("Pilih slot barunya."), field="start")
        reschedule(appointment, current_user, _parse_start(form.start.data), form.reason.data)
        flash(_("Jadwal dipindahkan; undangan baru dikirim."), "success")
    return _change(appointment_id, action, "reschedule_form")


@bp.post("/appointments/<int:appointment_id>/cancel")
def cancel_appointment(appointment_id: int):
    """Cancel with a reason; both calendars update, the slot goes to the waiting list."""
    def action(appointment, form):
        cancel(appointment, current_user, form.reason.data)
        flash(_("Jadwal dibatalkan; pembatalan dikirim ke kalender kedua pihak."), "success")
    return _change(appointment_id, action, "cancel_form")


@bp.post("/appointments/<int:appointment_id>/held")
def record_held(appointment_id: int):
    """The counselor records, after its start, that the session took place; the case goes on to
    its berita acara and report."""
    appointment = _appointment_for(appointment_id)
    form = ChangeForm(formdata=None)
    try:
        record_session(appointment, current_user)
    except DomainError as exc:
        refuse(form, exc)
        return _appointment_page(_appointment_for(appointment_id), 422, action_form=form)
    flash(_("Sesi tercatat terlaksana."), "success")
    if appointment.case_id:
        return redirect(url_for("sop.show_case", case_id=appointment.case_id))
    return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))


@bp.post("/appointments/<int:appointment_id>/no-show")
def no_show(appointment_id: int):
    """The counselor records that the client did not come, and whether to offer a new time or
    close the service; the case records it too."""
    appointment = _appointment_for(appointment_id)
    form = NoShowForm()
    if form.validate_on_submit():
        rebook = form.then.data == "rebook"
        try:
            mark_no_show(appointment, current_user, rebook=rebook)
        except DomainError as exc:
            refuse(form, exc)
        else:
            if rebook and appointment.case_id:
                flash(_("Ketidakhadiran dicatat. Usulkan waktu baru kepada konseli."), "success")
                return redirect(url_for("booking.case_booking", case_id=appointment.case_id))
            flash(_("Ketidakhadiran dicatat."), "success")
            return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))
    return _appointment_page(_appointment_for(appointment_id), 422, no_show_form=form)


# -- the public feed ------------------------------------------------------------------------
@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """A counselor's subscription feed (RFC 5545) with ETag; 404 for an unknown or revoked token."""
    profile = db.session.scalar(db.select(CounselorProfile).where(CounselorProfile.feed_token == token[:64]))
    if profile is None or not profile.user.active:  # a deactivated account's feed stops
        abort(404)
    since = utcnow() - timedelta(days=60)
    appointments = db.session.scalars(db.select(Appointment).where(
        served_by(profile.user), Appointment.start_at >= since,
        Appointment.status.in_([AppointmentStatus.AGREED, AppointmentStatus.CANCELLED, AppointmentStatus.DONE,
                                AppointmentStatus.NO_SHOW])).order_by(Appointment.start_at)).all()
    body = feed(profile.user, appointments)
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(etag)
    return response.make_conditional(request)
