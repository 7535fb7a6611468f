"""Booking pages: counselors' availability and feed, the client's week of free slots,
appointments (invite, reschedule, cancel, no-show) and the public calendar feed."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.guards import get_or_404, public, role_required
from app.booking import bp
from app.booking.forms import AvailabilityForm, ChangeForm, ExceptionForm, ProposalForm, SettingsForm
from app.booking.ical import feed, invite, summary
from app.booking.models import (Appointment, AppointmentStatus, Availability, AvailabilityException,
                                CounselorProfile, Mode, new_token)
from app.booking.services import (accept, appointments_for_case, book, cancel, feed_url, free_slots, join_waitlist,
                                  mark_no_show, profile_for, propose, reschedule)
from app.database import utcnow
from app.errors import DomainError
from app.forms import error_text, parse_date, parse_datetime, refuse
from app.extensions import db
from app.htmx import render
from app.sop.models import Case
from app.sop.access import is_participant, load_case


@bp.app_template_global()
def appointment_status(status: AppointmentStatus) -> str:
    """An appointment's state in words."""
    return {AppointmentStatus.PROPOSED: _("diusulkan"), AppointmentStatus.AGREED: _("disepakati"),
            AppointmentStatus.CANCELLED: _("dibatalkan"), AppointmentStatus.NO_SHOW: _("tidak hadir"),
            AppointmentStatus.DONE: _("selesai")}[status]


def _tz():
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


# -- counselor settings ---------------------------------------------------------------------
def _settings_page(status=200, **forms):
    profile = profile_for(current_user)
    windows = db.session.scalars(db.select(Availability).where(Availability.counselor_id == current_user.id)
                                 .order_by(Availability.weekday, Availability.start_time)).all()
    leave = db.session.scalars(db.select(AvailabilityException).where(
        AvailabilityException.counselor_id == current_user.id, AvailabilityException.day >= date.today())
        .order_by(AvailabilityException.day)).all()
    https = feed_url(profile)
    defaults = {"availability_form": AvailabilityForm(formdata=None), "exception_form": ExceptionForm(formdata=None),
                "settings_form": SettingsForm(formdata=None, data={"min_notice_hours": profile.min_notice_minutes // 60,
                                                                   "horizon_days": profile.horizon_days})}
    return render("booking/settings.html", windows=windows, leave=leave, feed_https=https,
                  feed_webcal="webcal://" + https.split("://", 1)[1], status=status, **{**defaults, **forms})


@bp.get("/booking/settings")
@role_required("counselor")
def settings():
    """Weekly availability, leave days, notice and horizon, and the calendar feed."""
    return _settings_page()


@bp.post("/booking/availability")
@role_required("counselor")
def add_availability():
    """Add a weekly window."""
    form = AvailabilityForm()
    if not form.validate_on_submit():
        return _settings_page(422, availability_form=form)
    db.session.add(Availability(counselor_id=current_user.id, weekday=int(form.weekday.data),
                                start_time=form.start_time.data, end_time=form.end_time.data,
                                session_minutes=form.session_minutes.data, buffer_minutes=form.buffer_minutes.data,
                                mode=Mode(form.mode.data), room=form.room.data or None,
                                meeting_url=form.meeting_url.data or None))
    flash(_("Ketersediaan ditambahkan."), "success")
    return redirect(url_for("booking.settings"))


def _delete_own(model, item_id: int):
    """Delete one of the current counselor's own rows; another counselor's id answers 404."""
    item = get_or_404(model, item_id)
    if item.counselor_id != current_user.id:
        abort(404)
    db.session.delete(item)
    return redirect(url_for("booking.settings"))


@bp.post("/booking/availability/<int:item_id>/delete")
@role_required("counselor")
def delete_availability(item_id: int):
    """Remove a weekly window."""
    return _delete_own(Availability, item_id)


@bp.post("/booking/leave")
@role_required("counselor")
def add_leave():
    """Add a leave day."""
    form = ExceptionForm()
    if form.validate_on_submit():
        exists = db.session.scalar(db.select(AvailabilityException.id).where(
            AvailabilityException.counselor_id == current_user.id, AvailabilityException.day == form.day.data))
        if exists:
            form.day.errors.append(_("Tanggal ini sudah ada di daftar."))
        else:
            db.session.add(AvailabilityException(counselor_id=current_user.id, day=form.day.data,
                                                 reason=form.reason.data))
            return redirect(url_for("booking.settings"))
    return _settings_page(422, exception_form=form)


@bp.post("/booking/leave/<int:item_id>/delete")
@role_required("counselor")
def delete_leave(item_id: int):
    """Remove a leave day."""
    return _delete_own(AvailabilityException, item_id)


@bp.post("/booking/rules")
@role_required("counselor")
def save_rules():
    """Minimum notice and booking horizon."""
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(422, settings_form=form)
    profile = profile_for(current_user)
    profile.min_notice_minutes, profile.horizon_days = form.min_notice_hours.data * 60, form.horizon_days.data
    flash(_("Aturan pemesanan tersimpan."), "success")
    return redirect(url_for("booking.settings"))


@bp.post("/booking/feed/rotate")
@role_required("counselor")
def rotate_feed():
    """A new secret feed address; the old one stops working at once."""
    profile_for(current_user).feed_token = new_token()
    flash(_("Alamat kalender baru dibuat; alamat lama tidak berlaku lagi."), "success")
    return redirect(url_for("booking.settings"))


# -- client and counselor on a case ---------------------------------------------------------
def _booking_case(case_id: int) -> Case:
    """A case's booking page is for its client and its counselor (the case team)."""
    return load_case(case_id, is_participant)


def _week_start(value: str | None) -> date:
    """The Monday of `?week=`; a week the app cannot show is this week, with the reason flashed."""
    day = utcnow().astimezone(_tz()).date()
    if value:
        try:
            day = parse_date(value)
        except DomainError as exc:
            flash(exc.message, "error")
    return day - timedelta(days=day.weekday())


@bp.get("/cases/<int:case_id>/booking")
def case_booking(case_id: int):
    """Week by week, the counselor's free slots (htmx swaps the week); proposals and the
    agreed appointment."""
    case = _booking_case(case_id)
    week = _week_start(request.args.get("week"))
    slots = free_slots(case.assignee, week, 7) if case.assignee else []
    days = [week + timedelta(days=i) for i in range(7)]
    by_day = {d: [s for s in slots if s.start.date() == d] for d in days}
    appointments = appointments_for_case(case)
    return render("booking/case.html", block="slots", case=case, week=week, days=days, by_day=by_day,
                  appointments=appointments, agreed=next((a for a in appointments if a.status == "agreed"), None),
                  proposals=[a for a in appointments if a.status == "proposed"],
                  is_client=current_user.id == case.subject_id, proposal_form=ProposalForm(formdata=None),
                  prev_week=week - timedelta(days=7), next_week=week + timedelta(days=7))


def _parse_start(value: str) -> datetime:
    moment = parse_datetime(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=_tz())).astimezone(_tz())


def _refused(message: str):
    """A refused booking action: the reason, in Indonesian, with 422 (nothing was written)."""
    return render("errors/error.html", title=_("Jadwal belum tersimpan"), message=message, code=422, status=422)


@bp.post("/cases/<int:case_id>/booking")
def book_slot(case_id: int):
    """The client books a free slot."""
    case = _booking_case(case_id)
    if current_user.id != case.subject_id:
        abort(403)
    try:
        appointment = book(case, current_user, _parse_start(request.form.get("start", "")))
    except DomainError as exc:
        return _refused(exc.message)
    flash(_("Jadwal disepakati: %(when)s. Undangan kalender dikirim ke e-mail Anda.",
            when=appointment.start_at.astimezone(_tz()).strftime("%d-%m-%Y %H.%M")), "success")
    return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))


@bp.post("/cases/<int:case_id>/proposals")
def propose_times(case_id: int):
    """The counselor proposes up to three times."""
    case = _booking_case(case_id)
    if current_user.id != case.assignee_id:
        abort(403)
    form = ProposalForm()
    if not form.validate_on_submit():
        return _refused(error_text(form))
    starts = [f.data.replace(tzinfo=_tz()) for f in (form.first, form.second, form.third) if f.data]
    try:
        propose(case, current_user, starts)
    except DomainError as exc:
        return _refused(exc.message)
    flash(_("Usulan waktu dikirim ke pemohon."), "success")
    return redirect(url_for("booking.case_booking", case_id=case.id))


@bp.post("/cases/<int:case_id>/waitlist")
def join_waiting_list(case_id: int):
    """Be told when an earlier slot with this counselor opens."""
    case = _booking_case(case_id)
    try:
        join_waitlist(case, current_user)
    except DomainError as exc:
        return _refused(exc.message)
    flash(_("Anda masuk daftar tunggu; kami kabari bila ada slot lebih awal."), "success")
    return redirect(url_for("booking.case_booking", case_id=case.id))


# -- appointments ---------------------------------------------------------------------------
def _appointment_for(appointment_id: int) -> Appointment:
    """An appointment for its two people, and for those who may see its case."""
    appointment = get_or_404(Appointment, appointment_id)
    if current_user.id in (appointment.client_id, appointment.counselor_id):
        return appointment
    if appointment.case_id is None:
        abort(404)
    load_case(appointment.case_id)
    return appointment


@bp.get("/appointments")
def my_appointments():
    """My upcoming and recent appointments (as client or counselor)."""
    since = utcnow() - timedelta(days=30)
    items = db.session.scalars(db.select(Appointment).where(
        (Appointment.client_id == current_user.id) | (Appointment.counselor_id == current_user.id),
        Appointment.start_at >= since).order_by(Appointment.start_at)).all()
    return render("booking/appointments.html", items=items, now=utcnow())


def google_link(appointment: Appointment) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    params = {"action": "TEMPLATE", "text": summary(appointment),
              "dates": f"{appointment.start_at.strftime(fmt)}/{appointment.end_at.strftime(fmt)}",
              "details": f"{current_app.config['APP_BASE_URL']}/appointments/{appointment.id}",
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
        slots = free_slots(appointment.counselor, week, 14)
    blank = ChangeForm(formdata=None)
    return render("booking/appointment.html", a=appointment, google=google_link(appointment), slots=slots,
                  form=blank, reschedule_form=forms.get("reschedule_form", blank),
                  cancel_form=forms.get("cancel_form", blank), action_form=forms.get("action_form", blank),
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
    if form.validate_on_submit():
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
        reschedule(appointment, current_user, _parse_start(form.start.data or ""), form.reason.data)
        flash(_("Jadwal dipindahkan; undangan baru dikirim."), "success")
    return _change(appointment_id, action, "reschedule_form")


@bp.post("/appointments/<int:appointment_id>/cancel")
def cancel_appointment(appointment_id: int):
    """Cancel with a reason; both calendars update, the slot goes to the waiting list."""
    def action(appointment, form):
        cancel(appointment, current_user, form.reason.data)
        flash(_("Jadwal dibatalkan; pembatalan dikirim ke kalender kedua pihak."), "success")
    return _change(appointment_id, action, "cancel_form")


@bp.post("/appointments/<int:appointment_id>/no-show")
def no_show(appointment_id: int):
    """The counselor records that the client did not come."""
    appointment = _appointment_for(appointment_id)
    form = ChangeForm(formdata=None)
    try:
        mark_no_show(appointment, current_user)
    except DomainError as exc:
        refuse(form, exc)
        return _appointment_page(appointment, 422, action_form=form)
    flash(_("Ketidakhadiran dicatat."), "success")
    return redirect(url_for("booking.show_appointment", appointment_id=appointment.id))


# -- the public feed ------------------------------------------------------------------------
@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """A counselor's subscription feed (RFC 5545) with ETag; 404 for an unknown or revoked token."""
    profile = db.session.scalar(db.select(CounselorProfile).where(CounselorProfile.feed_token == token[:64]))
    if profile is None:
        abort(404)
    since = utcnow() - timedelta(days=60)
    appointments = db.session.scalars(db.select(Appointment).where(
        Appointment.counselor_id == profile.user_id, Appointment.start_at >= since,
        Appointment.status.in_([AppointmentStatus.AGREED, AppointmentStatus.CANCELLED, AppointmentStatus.DONE,
                                AppointmentStatus.NO_SHOW])).order_by(Appointment.start_at)).all()
    body = feed(profile.user, appointments)
    etag = hashlib.sha256(body).hexdigest()[:32]
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(etag)
    return response.make_conditional(request)
